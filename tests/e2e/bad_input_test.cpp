// Malformed POST /v2/webhooks bodies (contract section 3): each is refused with the right status
// and code, in the contract's order of errors, and none of them writes to the database.
#include <string>
#include <vector>

#include "api_fixture.hpp"
#include "expect_error.hpp"
#include "support/db_snapshot.hpp"

namespace hookd::testing {
namespace {

struct BadInput {
  std::string name;
  std::string body;
  long status;
  std::string code;
};

constexpr std::string_view kTopics = R"("topics":["DeviceStatusEvents"])";

// A create body from JSON members; an empty piece is left out.
std::string body(std::string_view org, std::string_view url_member, std::string_view rest = {}) {
  std::string out = "{";
  if (!org.empty()) out += R"("organizationId":)" + std::string(org);
  if (!url_member.empty()) {
    if (out.size() > 1) out += ",";
    out += url_member;
  }
  if (!rest.empty()) {
    if (out.size() > 1) out += ",";
    out += rest;
  }
  return out + "}";
}

std::string with_url(std::string_view url, std::string_view rest = kTopics) {
  return body("6", R"("webhookUrl":")" + std::string(url) + "\"", rest);
}

std::string with_field(std::string_view member) {
  return body("6", R"("webhookUrl":"https://hooks.example.com/in")",
              std::string(kTopics) + "," + std::string(member));
}

std::string with_org(std::string_view org) {
  return body(org, R"("webhookUrl":"https://hooks.example.com/in")", kTopics);
}

std::string nested_arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string many_device_ids(int count) {
  std::string ids = "[";
  for (int i = 0; i < count; ++i) ids += (i ? ",85" : "85");
  return ids + "]";
}

std::vector<BadInput> bad_inputs() {
  const std::string kBody = "InvalidRequestBody";
  const std::string kUrl = "WebhookInvalidUrl";
  const std::string kProtocol = "WebhookUnsupportedProtocol";
  const std::string kForbidden = "WebhookForbiddenDestination";
  return {
      // Not a JSON object.
      {"not JSON", "this is not json", 400, kBody},
      {"truncated JSON", R"({"organizationId":6,"webhookUrl":)", 400, kBody},
      {"empty body", "", 400, kBody},
      {"JSON array", "[" + with_org("6") + "]", 400, kBody},
      {"JSON string", R"("organizationId")", 400, kBody},
      {"JSON number", "6", 400, kBody},
      {"JSON null", "null", 400, kBody},
      {"invalid UTF-8 in a string", with_field("\"secretHttp\":\"abc\xff\""), 400, kBody},
      {"invalid UTF-8 in the URL", with_url("https://hooks.example.com/\xc3\x28"), 400, kBody},
      {"nested 40 levels deep", with_field("\"extra\":" + nested_arrays(39)), 400, kBody},
      // organizationId.
      {"organizationId as string", with_org(R"("6")"), 400, kBody},
      {"organizationId as float 6.5", with_org("6.5"), 400, kBody},
      {"organizationId as float 6.0", with_org("6.0"), 400, kBody},
      {"organizationId as exponent 6e0", with_org("6e0"), 400, kBody},
      {"organizationId negative", with_org("-6"), 400, kBody},
      {"organizationId zero", with_org("0"), 400, kBody},
      {"organizationId huge 1e30", with_org("1e30"), 400, kBody},
      {"organizationId 2^64", with_org("18446744073709551616"), 400, kBody},
      {"organizationId 2^63", with_org("9223372036854775808"), 400, kBody},
      {"organizationId boolean", with_org("true"), 400, kBody},
      {"organizationId null", with_org("null"), 400, kBody},
      {"organizationId as array", with_org("[6]"), 400, kBody},
      {"organizationId missing",
       body("", R"("webhookUrl":"https://hooks.example.com/in")", kTopics), 400, kBody},
      // webhookUrl.
      {"webhookUrl missing", body("6", "", kTopics), 400, kBody},
      {"webhookUrl number", body("6", R"("webhookUrl":42)", kTopics), 400, kBody},
      {"webhookUrl null", body("6", R"("webhookUrl":null)", kTopics), 400, kBody},
      {"webhookUrl array", body("6", R"("webhookUrl":["https://x.example.com/"])", kTopics), 400,
       kBody},
      // deviceIds and deviceGroupIds.
      {"deviceIds not an array", with_field(R"("deviceIds":85)"), 400, kBody},
      {"deviceIds object", with_field(R"("deviceIds":{"0":85})"), 400, kBody},
      {"deviceIds with a string", with_field(R"("deviceIds":["85"])"), 400, kBody},
      {"deviceIds with a nested array", with_field(R"("deviceIds":[85,[86]])"), 400, kBody},
      {"deviceIds with an object", with_field(R"("deviceIds":[{"id":85}])"), 400, kBody},
      {"deviceIds with a float", with_field(R"("deviceIds":[85.0])"), 400, kBody},
      {"deviceIds with a negative id", with_field(R"("deviceIds":[-85])"), 400, kBody},
      {"deviceIds with null", with_field(R"("deviceIds":[null])"), 400, kBody},
      {"deviceIds with 10000 entries", with_field("\"deviceIds\":" + many_device_ids(10000)), 400,
       kBody},
      {"deviceGroupIds as string", with_field(R"("deviceGroupIds":"600")"), 400, kBody},
      {"deviceGroupIds with a string", with_field(R"("deviceGroupIds":["600"])"), 400, kBody},
      // topics.
      {"topics missing", body("6", R"("webhookUrl":"https://hooks.example.com/in")"), 400, kBody},
      {"topics empty", with_url("https://hooks.example.com/in", R"("topics":[])"), 400, kBody},
      {"topics unknown",
       with_url("https://hooks.example.com/in", R"("topics":["DeviceExplodedEvents"])"), 400,
       "UnsupportedTopic"},
      {"topics unknown beside known ones",
       with_url("https://hooks.example.com/in",
                R"("topics":["DeviceStatusEvents","deviceStatusEvents"])"),
       400, "UnsupportedTopic"},
      {"topics not strings", with_url("https://hooks.example.com/in", R"("topics":[1,2])"), 400,
       kBody},
      {"topics a string",
       with_url("https://hooks.example.com/in", R"("topics":"DeviceStatusEvents")"), 400, kBody},
      {"topics null", with_url("https://hooks.example.com/in", R"("topics":null)"), 400, kBody},
      // secretHttp.
      {"secretHttp number", with_field(R"("secretHttp":12345)"), 400, kBody},
      {"secretHttp with a newline", with_field(R"("secretHttp":"abc\ndef")"), 400, kBody},
      {"secretHttp with a carriage return", with_field(R"("secretHttp":"abc\r\nX-Evil: 1")"), 400,
       kBody},
      {"secretHttp array", with_field(R"("secretHttp":["abc"])"), 400, kBody},
      // Malformed URLs.
      {"URL with credentials", with_url("https://u:p@x.com/"), 400, kUrl},
      {"URL with a user only", with_url("https://user@x.com/"), 400, kUrl},
      {"URL with a fragment", with_url("https://x.com/hook#section"), 400, kUrl},
      {"URL without a scheme", with_url("x.com/hook"), 400, kUrl},
      {"URL relative", with_url("/webhook/XXXXX"), 400, kUrl},
      {"URL empty", with_url(""), 400, kUrl},
      {"URL javascript:", with_url("javascript:alert(1)"), 400, kUrl},
      {"URL https:// without host", with_url("https://"), 400, kUrl},
      {"URL https:///path without host", with_url("https:///path"), 400, kUrl},
      {"URL of 2049 characters", with_url("https://example.com/" + std::string(2049 - 20, 'a')),
       400, kUrl},
      {"URL with a port out of range", with_url("https://x.com:65536/"), 400, kUrl},
      {"URL with a space in the host", with_url("https://x .com/"), 400, kUrl},
      // Schemes other than https.
      {"URL ftp", with_url("ftp://x.com/"), 400, kProtocol},
      {"URL http", with_url("http://webhooks.athom.com/webhook/XXXXX"), 400, kProtocol},
      {"URL ws", with_url("wss://x.com/"), 400, kProtocol},
      // Destinations the guard refuses.
      {"URL loopback 127.0.0.1", with_url("https://127.0.0.1/"), 400, kForbidden},
      {"URL loopback 127.1.2.3 with port", with_url("https://127.1.2.3:8443/x"), 400, kForbidden},
      {"URL private 10.0.0.1", with_url("https://10.0.0.1/"), 400, kForbidden},
      {"URL private 172.16.0.1", with_url("https://172.16.0.1/"), 400, kForbidden},
      {"URL private 192.168.1.1", with_url("https://192.168.1.1/"), 400, kForbidden},
      {"URL CGNAT 100.64.0.1", with_url("https://100.64.0.1/"), 400, kForbidden},
      {"URL unspecified 0.0.0.0", with_url("https://0.0.0.0/"), 400, kForbidden},
      {"URL IPv6 loopback", with_url("https://[::1]/"), 400, kForbidden},
      {"URL IPv4-mapped IPv6 loopback", with_url("https://[::ffff:127.0.0.1]/"), 400, kForbidden},
      {"URL IPv6 unique local", with_url("https://[fd00::1]/"), 400, kForbidden},
      {"URL IPv6 link-local", with_url("https://[fe80::1]/"), 400, kForbidden},
      {"URL localhost", with_url("https://localhost/"), 400, kForbidden},
      {"URL LOCALHOST with port", with_url("https://LOCALHOST:8443/"), 400, kForbidden},
      {"URL name under localhost", with_url("https://api.localhost/"), 400, kForbidden},
      {"URL cloud metadata", with_url("https://169.254.169.254/latest"), 400, kForbidden},
      {"URL loopback as decimal", with_url("https://2130706433/"), 400, kForbidden},
      {"URL loopback as hex", with_url("https://0x7f000001/"), 400, kForbidden},
      {"URL multicast", with_url("https://224.0.0.1/"), 400, kForbidden},
      // Precedence between errors.
      {"http URL and an unknown topic: protocol first",
       with_url("http://x.com/", R"("topics":["DeviceExplodedEvents"])"), 400, kProtocol},
      {"forbidden URL and an unknown topic: destination first",
       with_url("https://127.0.0.1/", R"("topics":["DeviceExplodedEvents"])"), 400, kForbidden},
      {"wrong type and a bad URL: body first",
       body("6", R"("webhookUrl":"https://u:p@x.com/")", R"("topics":"DeviceStatusEvents")"), 400,
       kBody},
      {"bad URL and an organization not held: 400 before 403",
       body("7", R"("webhookUrl":"https://u:p@x.com/")", kTopics), 400, kUrl},
      {"http URL and an organization not held: 400 before 403",
       body("7", R"("webhookUrl":"http://x.com/")", kTopics), 400, kProtocol},
      {"unknown topic and an organization not held: 400 before 403",
       body("7", R"("webhookUrl":"https://x.com/")", R"("topics":["Nope"])"), 400,
       "UnsupportedTopic"},
      {"malformed deviceIds and an organization not held: 400 before 403",
       body("7", R"("webhookUrl":"https://x.com/")", std::string(kTopics) + R"(,"deviceIds":"89")"),
       400, kBody},
      {"organization not held and an unknown device: 403 before 404",
       body("7", R"("webhookUrl":"https://x.com/")",
            std::string(kTopics) + R"(,"deviceIds":[999])"),
       403, "InsufficientRights"},
      {"unknown device", with_field(R"("deviceIds":[85,999])"), 404, "DeviceNotFound"},
      {"device of another organization", with_field(R"("deviceIds":[89])"), 404, "DeviceNotFound"},
      {"unknown device group", with_field(R"("deviceGroupIds":[999])"), 404, "DeviceGroupNotFound"},
  };
}

TEST_F(ApiTest, MalformedCreateBodiesAreRefusedAndChangeNothing) {
  const std::string before = database_snapshot(server_->database_url());
  ASSERT_FALSE(before.empty());

  for (const BadInput& input : bad_inputs()) {
    SCOPED_TRACE(input.name);
    auto r = client_->post("/v2/webhooks", input.body, admin6_);
    expect_error(r, input.status, input.code);
  }

  const std::string after = database_snapshot(server_->database_url());
  EXPECT_EQ(after, before) << "a refused request wrote to the database";
  auto list = client_->get("/v2/webhooks", admin6_);
  ASSERT_EQ(list.status, 200) << list;
  EXPECT_TRUE(list.json().as_array().empty()) << list;
}

// The refusals above are about the bodies, not the shape around them: the same fields, well
// formed, are accepted.
TEST_F(ApiTest, WellFormedBodiesBesideTheRefusedOnesAreAccepted) {
  for (const std::string& good :
       {with_org("6"), with_field(R"("deviceIds":[85,86],"deviceGroupIds":[600])"),
        with_field(R"("secretHttp":"PoWJFA11inptkbGz")"),
        with_url("https://example.com/" + std::string(2048 - 20, 'a')),
        with_url("https://8.8.8.8/hook"), with_url("https://HOOKS.Example.com:8443/a/b?c=d")}) {
    SCOPED_TRACE(good.substr(0, 200));
    auto r = client_->post("/v2/webhooks", good, admin6_);
    EXPECT_EQ(r.status, 200) << r.status << " " << r.body;
  }
}

}  // namespace
}  // namespace hookd::testing
