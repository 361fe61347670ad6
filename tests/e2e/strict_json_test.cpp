// Every body is read by one strict JSON reader (contract section 3, rules for every request):
// a repeated key at any depth is 400 InvalidRequestBody with nothing stored, a leading
// byte-order mark is ignored, and a number that is not finite is refused. An event's data is
// kept and delivered as the text that was sent (contract section 4), byte for byte.
#include <stdexcept>
#include <string>
#include <vector>

#include "delivery_fixture.hpp"
#include "expect_error.hpp"
#include "support/database_writer.hpp"

namespace hookd::testing {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

struct Refused {
  std::string method;
  std::string path;
  std::string body;
  std::string key;  // the repeated key the answer must name; empty for other refusals
};

class StrictBodyTest : public DeliveryTest {
 protected:
  HttpResponse send(const Refused& r, const std::string& token) {
    return client_->request(r.method, r.path, r.body, {{"Authorization", "Bearer " + token}});
  }

  // The id of the only delivery of `webhook`.
  std::string only_delivery(int64_t webhook) {
    auto list = client_->get("/v2/webhooks/" + std::to_string(webhook) + "/deliveries", admin6_);
    EXPECT_EQ(list.status, 200) << list;
    const boost::json::value json = list.json();
    EXPECT_EQ(json.as_array().size(), 1u) << list;
    return std::to_string(json.at(0).at("id").as_int64());
  }
};

TEST_F(StrictBodyTest, ARepeatedKeyInAnyBodyIsRefusedAndNothingIsStored) {
  const auto hook = create_hook("/ok/kept");
  const std::string hook_path = "/v2/webhooks/" + std::to_string(hook.id);
  const std::string url = receiver_->url("/ok/other");
  const std::string before = database_snapshot(server_->database_url());

  const std::vector<Refused> platform_bodies = {
      {"POST", "/v2/webhooks",
       R"({"organizationId":7,"organizationId":6,"webhookUrl":")" + url +
           R"(","topics":["DeviceStatusEvents"]})",
       "organizationId"},
      {"POST", "/v2/webhooks",
       R"({"organizationId":6,"webhookUrl":"https://10.0.0.1/forbidden","webhookUrl":")" + url +
           R"(","topics":["DeviceStatusEvents"]})",
       "webhookUrl"},
      {"POST", "/v2/webhooks",
       R"({"organizationId":6,"webhookUrl":")" + url +
           R"(","topics":["DeviceStatusEvents"],"deviceIds":[85],"deviceIds":[86]})",
       "deviceIds"},
      {"PUT", hook_path, R"({"topics":["DeviceStatusEvents"],"topics":["DeviceTamperEvents"]})",
       "topics"},
      {"PUT", hook_path, R"({"status":"disabled","secretHttp":null,"status":"enabled"})", "status"},
      {"POST", "/v2/platform/events",
       R"({"deviceId":85,"deviceId":90,"topic":"DeviceStatusEvents"})", "deviceId"},
      {"POST", "/v2/platform/events",
       R"({"events":[{"deviceId":85,"topic":"DeviceStatusEvents"},)"
       R"({"deviceId":86,"topic":"DeviceStatusEvents","data":{"a":[{"b":1,"b":2}]}}]})",
       "b"},
      {"POST", "/v2/platform/events",
       R"({"events":[{"deviceId":85,"topic":"DeviceStatusEvents"}],"events":[]})", "events"},
      {"PUT", "/v2/platform/organizations/8", R"({"name":"a","name":"b"})", "name"},
      {"PUT", "/v2/platform/organizations/6", R"({"name":"a","name":"b"})", "name"},
      {"PUT", "/v2/platform/devices/88", R"({"organizationId":7,"organizationId":6})",
       "organizationId"},
      {"PUT", "/v2/platform/device-groups/601",
       R"({"organizationId":6,"name":"g","deviceIds":[85],"deviceIds":[86]})", "deviceIds"},
      {"POST", "/v2/platform/tokens", R"({"role":"read","organizationId":6,"role":"platform"})",
       "role"},
      {"POST", hook_path + "/recover",
       R"({"since":"2020-01-01T00:00:00Z","since":"2030-01-01T00:00:00Z"})", "since"},
      // Numbers that are not finite.
      {"POST", "/v2/platform/events",
       R"({"deviceId":85,"topic":"DeviceStatusEvents","data":{"x":1e400}})", ""},
      {"POST", "/v2/platform/events",
       R"({"events":[{"deviceId":85,"topic":"DeviceStatusEvents","data":{"x":[-1e400]}}]})", ""},
      {"POST", "/v2/webhooks",
       R"({"organizationId":6,"webhookUrl":")" + url +
           R"(","topics":["DeviceStatusEvents"],"deviceIds":[1e400]})",
       ""},
  };
  for (const Refused& r : platform_bodies) {
    SCOPED_TRACE(r.method + " " + r.path + " " + r.body);
    const auto answer = send(r, platform_token_);
    expect_error(answer, 400, "InvalidRequestBody");
    if (answer.status == 400 && !r.key.empty()) {
      EXPECT_NE(answer.body.find("repeated key \\\"" + r.key + "\\\""), std::string::npos)
          << answer;
    }
  }
  // An organization's admin is refused the same way, before its rights are looked at.
  const auto as_admin7 = send(platform_bodies[0], admin7_);
  expect_error(as_admin7, 400, "InvalidRequestBody");

  EXPECT_EQ(database_snapshot(server_->database_url()), before)
      << "a refused request wrote to the database";
  for (const std::string& token : {admin6_, admin7_}) {
    auto list = client_->get("/v2/webhooks", token);
    ASSERT_EQ(list.status, 200) << list;
    EXPECT_EQ(list.json().as_array().size(), token == admin6_ ? 1u : 0u) << list;
  }
  EXPECT_TRUE(receiver_->received().empty());
}

TEST_F(StrictBodyTest, BodiesWithAByteOrderMarkAreAccepted) {
  const std::string bom(kBom);
  auto org =
      client_->put("/v2/platform/organizations/8", bom + R"({"name":"org 8"})", platform_token_);
  EXPECT_EQ(org.status, 200) << org;
  auto created =
      client_->post("/v2/webhooks",
                    bom + R"({"organizationId":6,"deviceIds":[85],"webhookUrl":")" +
                        receiver_->url("/ok/bom") + R"(","topics":["DeviceStatusEvents"]})",
                    admin6_);
  ASSERT_EQ(created.status, 200) << created;
  auto events = post_events(bom + R"({"deviceId":85,"topic":"DeviceStatusEvents","data":{"a":1}})");
  ASSERT_EQ(events.status, 202) << events;
  ASSERT_TRUE(receiver_->wait_for(1, "/ok/bom"));
  const std::string body = receiver_->received().at(0).body;
  EXPECT_TRUE(body.ends_with(R"(,"data":{"a":1}})")) << body;
  // Only at the start: a mark elsewhere is not JSON.
  expect_error(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})" + bom), 400,
               "InvalidRequestBody");
}

TEST_F(StrictBodyTest, DataArrivesAsItWasSentAndTheSignatureVerifies) {
  const auto hook = create_hook("/ok/exact", R"("deviceIds":[85])", R"(["DeviceStatusEvents"])");
  // Big integers, 1.0, -0, 1E2, escapes, key order and whitespace, as the producer wrote them.
  const std::string data =
      R"({ "big": 123456789012345678901234567890, "one": 1.0, "minusZero": -0, "e": 1E2,)"
      R"( "small": 1e-400, "text": "caf\u00e9 \ud83d\ude00 \"q\" \/ \n",)"
      "\n  \"raw\": \"caf\xC3\xA9\", "
      R"("z": {"b": [1.50, 2e-3], "a": null} })";
  auto r = post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents","type":"Exact",)"
                       R"("time":"2026-11-29T06:00:00Z","data":)" +
                       data + "}");
  ASSERT_EQ(r.status, 202) << r;
  const std::string event_id(r.json().at("events").at(0).at("id").as_string());

  ASSERT_TRUE(receiver_->wait_for(1, "/ok/exact"));
  const ReceivedRequest got = receiver_->received().at(0);
  EXPECT_EQ(got.body, R"({"id":")" + event_id + R"(","webhookId":)" + std::to_string(hook.id) +
                          R"(,"topic":"DeviceStatusEvents","type":"Exact",)"
                          R"("time":"2026-11-29T06:00:00.000Z","organizationId":6,)"
                          R"("deviceId":85,"data":)" +
                          data + "}");
  const auto checks = verify_with_npm({got}, hook.secret);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_TRUE(checks[0].standardwebhooks) << checks[0].error;
  EXPECT_TRUE(checks[0].svix) << checks[0].error;

  // The stored event and the delivery detail hold the same text.
  EXPECT_EQ(database_rows(server_->database_url(), "SELECT data FROM events"),
            std::vector<std::string>{data + "|"});
  auto detail = client_->get(
      "/v2/webhooks/" + std::to_string(hook.id) + "/deliveries/" + only_delivery(hook.id), admin6_);
  ASSERT_EQ(detail.status, 200) << detail;
  EXPECT_NE(detail.body.find(",\"event\":" + got.body + ",\"attempts\":"), std::string::npos)
      << detail.body;
  EXPECT_TRUE(detail.json().at("event").is_object()) << detail;
}

TEST_F(StrictBodyTest, EachEventOfABatchKeepsItsOwnText) {
  const auto hook = create_hook("/ok/batch", R"("deviceIds":[85,86])", R"(["DeviceStatusEvents"])");
  ASSERT_EQ(
      post_events(
          R"({"events":[)"
          R"({"deviceId":85,"topic":"DeviceStatusEvents","data":{"n":10.0}},)"
          R"({"data":{"n":99999999999999999999},"deviceId":86,"topic":"DeviceStatusEvents"}]})")
          .status,
      202);
  ASSERT_TRUE(receiver_->wait_for(2, "/ok/batch"));
  std::set<std::string> tails;
  for (const auto& got : receiver_->received()) {
    tails.insert(got.body.substr(got.body.rfind(",\"data\":")));
    EXPECT_TRUE(verify_with_npm({got}, hook.secret).at(0).standardwebhooks);
  }
  EXPECT_EQ(tails, (std::set<std::string>{R"(,"data":{"n":10.0}})",
                                          R"(,"data":{"n":99999999999999999999}})"}));
}

TEST_F(StrictBodyTest, ADetailWhoseStoredDataIsNotJsonShowsTheBodyAsAString) {
  const auto hook = create_hook("/ok/old", R"("deviceIds":[85])", R"(["DeviceStatusEvents"])");
  ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents","data":{"x":1}})").status,
            202);
  ASSERT_TRUE(wait_for_rows("SELECT status FROM deliveries", {"succeeded|"}));
  // What hookd stored before data was checked: 1e400 serialised as Infinity.
  write_database(server_->database_url(), R"(UPDATE events SET data = '{"x":Infinity}')");

  auto detail = client_->get(
      "/v2/webhooks/" + std::to_string(hook.id) + "/deliveries/" + only_delivery(hook.id), admin6_);
  ASSERT_EQ(detail.status, 200) << detail;
  const boost::json::value json = detail.json();
  const boost::json::value& event = json.at("event");
  ASSERT_TRUE(event.is_string()) << detail;
  const std::string text(event.as_string());
  EXPECT_EQ(text.rfind(R"({"id":")", 0), 0u) << text;
  EXPECT_TRUE(text.ends_with(R"(,"data":{"x":Infinity}})")) << text;
  EXPECT_EQ(json.at("attempts").as_array().size(), 1u) << detail;
}

}  // namespace
}  // namespace hookd::testing
