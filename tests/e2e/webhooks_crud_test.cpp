// The /v2/webhooks collection beyond create (contract section 3): the webhook object, the
// list and its paging, PUT, DELETE.
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "api_fixture.hpp"
#include "expect_error.hpp"

namespace hookd::testing {
namespace {

constexpr std::string_view kSeedSecretHttp = "PoWJFA11inptkbGz";

std::string webhook_path(int64_t id) { return "/v2/webhooks/" + std::to_string(id); }

std::string org_wide_body(int org, std::string_view url = "https://hooks.example.com/in") {
  return R"({"organizationId":)" + std::to_string(org) + R"(,"webhookUrl":")" + std::string(url) +
         R"(","topics":["DeviceStatusEvents"]})";
}

std::vector<int64_t> ids_in(const HttpResponse& list) {
  std::vector<int64_t> ids;
  const boost::json::value items = list.json();
  for (const auto& w : items.as_array()) ids.push_back(w.at("id").as_int64());
  return ids;
}

std::set<std::string> keys_of(const boost::json::object& o) {
  std::set<std::string> keys;
  for (const auto& [key, value] : o) keys.insert(std::string(key));
  return keys;
}

std::set<std::string> strings_of(const boost::json::value& v) {
  std::set<std::string> out;
  for (const auto& s : v.as_array()) out.insert(std::string(s.as_string()));
  return out;
}

bool is_rfc3339_utc(const boost::json::value& v) {
  static const std::regex kPattern(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$)");
  return v.is_string() && std::regex_match(std::string(v.as_string()), kPattern);
}

const std::set<std::string> kWebhookKeys = {
    "id",     "organizationId", "deviceIds",     "deviceGroupIds", "webhookUrl",  "topics",
    "status", "disabledReason", "hasSecretHttp", "dateCreated",    "dateModified"};

const std::set<std::string> kAllTopics = {"DeviceActivationEvents", "DeviceDeactivationEvents",
                                          "DeviceStatusEvents", "DeviceTamperEvents"};

TEST_F(ApiTest, GetReturnsTheWebhookObjectAndNoSecret) {
  auto created = client_->post("/v2/webhooks", seed_body(6), admin6_);
  ASSERT_EQ(created.status, 200) << created;
  const int64_t id = created.json().at("id").as_int64();
  const std::string secret_hmac(created.json().at("secretHmac").as_string());

  auto r = client_->get(webhook_path(id), admin6_);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  const auto o = r.json().as_object();
  EXPECT_EQ(keys_of(o), kWebhookKeys) << r.body;
  EXPECT_EQ(o.at("id").as_int64(), id);
  EXPECT_EQ(o.at("organizationId").as_int64(), 6);
  EXPECT_EQ(o.at("deviceIds"), boost::json::parse("[85,86,87]"));
  EXPECT_EQ(o.at("deviceGroupIds"), boost::json::parse("[]"));
  EXPECT_EQ(o.at("webhookUrl").as_string(), "https://webhooks.athom.com/webhook/XXXXX");
  EXPECT_EQ(strings_of(o.at("topics")), kAllTopics);
  EXPECT_EQ(o.at("topics").as_array().size(), 4u);
  EXPECT_EQ(o.at("status").as_string(), "enabled");
  EXPECT_TRUE(o.at("disabledReason").is_null());
  EXPECT_EQ(o.at("hasSecretHttp"), boost::json::value(true));

  // Secrets are never returned after creation: not by GET, the list, or PUT.
  auto list = client_->get("/v2/webhooks", admin6_);
  auto put = client_->put(webhook_path(id), R"({"topics":["DeviceStatusEvents"]})", admin6_);
  ASSERT_EQ(put.status, 200) << put;
  for (const HttpResponse* response : {&r, &list, &put}) {
    EXPECT_EQ(response->body.find(secret_hmac), std::string::npos) << response->body;
    EXPECT_EQ(response->body.find(kSeedSecretHttp), std::string::npos) << response->body;
    EXPECT_EQ(response->body.find("secretHmac"), std::string::npos) << response->body;
    EXPECT_EQ(response->body.find("\"secretHttp\""), std::string::npos) << response->body;
  }
  EXPECT_EQ(keys_of(put.json().as_object()), kWebhookKeys) << put.body;
  const boost::json::value items = list.json();
  for (const auto& w : items.as_array()) {
    EXPECT_EQ(keys_of(w.as_object()), kWebhookKeys) << list.body;
  }
}

TEST_F(ApiTest, WebhookWithoutSecretHttpSaysSo) {
  const int64_t id = create_webhook(org_wide_body(6), admin6_);
  auto r = client_->get(webhook_path(id), admin6_);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.json().at("hasSecretHttp"), boost::json::value(false));
}

TEST_F(ApiTest, DuplicateTopicsCollapse) {
  const int64_t id = create_webhook(
      R"({"organizationId":6,"deviceIds":[85],"webhookUrl":"https://hooks.example.com/in",
          "topics":["DeviceStatusEvents","DeviceTamperEvents","DeviceStatusEvents","DeviceStatusEvents"]})",
      admin6_);
  auto r = client_->get(webhook_path(id), admin6_);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.json().at("topics").as_array().size(), 2u) << r.body;
  EXPECT_EQ(strings_of(r.json().at("topics")),
            (std::set<std::string>{"DeviceStatusEvents", "DeviceTamperEvents"}));

  auto put =
      client_->put(webhook_path(id),
                   R"({"topics":["DeviceActivationEvents","DeviceActivationEvents"]})", admin6_);
  ASSERT_EQ(put.status, 200) << put;
  EXPECT_EQ(put.json().at("topics"), boost::json::parse(R"(["DeviceActivationEvents"])"));
}

TEST_F(ApiTest, OrganizationWideWebhookHasEmptyScopeArrays) {
  const int64_t id = create_webhook(org_wide_body(6), admin6_);
  auto r = client_->get(webhook_path(id), admin6_);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.json().at("deviceIds"), boost::json::parse("[]")) << r.body;
  EXPECT_EQ(r.json().at("deviceGroupIds"), boost::json::parse("[]")) << r.body;

  // Empty arrays mean the same.
  const int64_t explicit_empty = create_webhook(
      R"({"organizationId":6,"deviceIds":[],"deviceGroupIds":[],
          "webhookUrl":"https://hooks.example.com/in","topics":["DeviceTamperEvents"]})",
      admin6_);
  auto e = client_->get(webhook_path(explicit_empty), admin6_);
  ASSERT_EQ(e.status, 200) << e;
  EXPECT_EQ(e.json().at("deviceIds"), boost::json::parse("[]")) << e.body;
  EXPECT_EQ(e.json().at("deviceGroupIds"), boost::json::parse("[]")) << e.body;
}

TEST_F(ApiTest, DatesAreRfc3339Utc) {
  const int64_t id = create_webhook(seed_body(6), admin6_);
  auto r = client_->get(webhook_path(id), admin6_);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_TRUE(is_rfc3339_utc(r.json().at("dateCreated"))) << r.body;
  EXPECT_TRUE(is_rfc3339_utc(r.json().at("dateModified"))) << r.body;

  auto put = client_->put(webhook_path(id), R"({"status":"disabled"})", admin6_);
  ASSERT_EQ(put.status, 200) << put;
  EXPECT_TRUE(is_rfc3339_utc(put.json().at("dateModified"))) << put.body;
  EXPECT_EQ(put.json().at("dateCreated"), r.json().at("dateCreated"));
}

TEST_F(ApiTest, ListIsNewestFirst) {
  std::vector<int64_t> created;
  for (int i = 0; i < 4; ++i) created.push_back(create_webhook(org_wide_body(6), admin6_));
  auto list = client_->get("/v2/webhooks", admin6_);
  ASSERT_EQ(list.status, 200) << list;
  EXPECT_EQ(ids_in(list), (std::vector<int64_t>{created[3], created[2], created[1], created[0]}));
  const boost::json::value items = list.json();
  for (const auto& w : items.as_array()) {
    EXPECT_EQ(keys_of(w.as_object()), kWebhookKeys) << list.body;
  }
}

TEST_F(ApiTest, ListPagesWithSizeAndOffset) {
  std::vector<int64_t> created;
  for (int i = 0; i < 5; ++i) created.push_back(create_webhook(org_wide_body(6), admin6_));
  const std::vector<int64_t> newest_first(created.rbegin(), created.rend());

  auto page = [&](std::string_view query) {
    auto r = client_->get("/v2/webhooks?" + std::string(query), admin6_);
    EXPECT_EQ(r.status, 200) << r;
    return r.status == 200 ? ids_in(r) : std::vector<int64_t>{};
  };
  EXPECT_EQ(page("size=2"), (std::vector<int64_t>{newest_first[0], newest_first[1]}));
  EXPECT_EQ(page("size=2&offset=2"), (std::vector<int64_t>{newest_first[2], newest_first[3]}));
  EXPECT_EQ(page("offset=4&size=2"), std::vector<int64_t>{newest_first[4]});
  EXPECT_EQ(page("offset=5"), std::vector<int64_t>{});
  EXPECT_EQ(page("offset=1000"), std::vector<int64_t>{});
  EXPECT_EQ(page("offset=0"), newest_first);
  EXPECT_EQ(page("size=1"), std::vector<int64_t>{newest_first[0]});
  EXPECT_EQ(page("size=100"), newest_first);
  EXPECT_EQ(page("organizationId=6&size=3&offset=1"),
            (std::vector<int64_t>{newest_first[1], newest_first[2], newest_first[3]}));
}

TEST_F(ApiTest, ListSizeDefaultsTo50) {
  std::vector<int64_t> created;
  for (int i = 0; i < 51; ++i) created.push_back(create_webhook(org_wide_body(6), admin6_));
  auto list = client_->get("/v2/webhooks", admin6_);
  ASSERT_EQ(list.status, 200) << list;
  const auto ids = ids_in(list);
  ASSERT_EQ(ids.size(), 50u);
  EXPECT_EQ(ids.front(), created.back());
  EXPECT_EQ(ids.back(), created[1]);

  auto all = client_->get("/v2/webhooks?size=100", admin6_);
  ASSERT_EQ(all.status, 200) << all;
  EXPECT_EQ(ids_in(all).size(), 51u);
  auto rest = client_->get("/v2/webhooks?offset=50", admin6_);
  ASSERT_EQ(rest.status, 200) << rest;
  EXPECT_EQ(ids_in(rest), std::vector<int64_t>{created[0]});
}

TEST_F(ApiTest, ListRejectsPagingOutOfRange) {
  create_webhook(org_wide_body(6), admin6_);
  for (const std::string query :
       {"size=101", "size=0", "size=-1", "offset=-1", "size=abc", "offset=x", "size=", "size=1.5",
        "organizationId=abc", "organizationId=0"}) {
    SCOPED_TRACE(query);
    auto r = client_->get("/v2/webhooks?" + query, admin6_);
    EXPECT_EQ(r.status, 400) << r;
    expect_error_shape(r);
  }
}

TEST_F(ApiTest, PutChangesOnlyTheGivenFields) {
  const int64_t id = create_webhook(seed_body(6), admin6_);
  auto before = client_->get(webhook_path(id), admin6_);
  ASSERT_EQ(before.status, 200) << before;

  auto put = client_->put(webhook_path(id), R"({"webhookUrl":"https://new.example.com/hook?x=1"})",
                          admin6_);
  ASSERT_EQ(put.status, 200) << put;
  auto expected = before.json().as_object();
  expected["webhookUrl"] = "https://new.example.com/hook?x=1";
  expected["dateModified"] = put.json().at("dateModified");
  EXPECT_EQ(put.json(), boost::json::value(expected));
  EXPECT_EQ(client_->get(webhook_path(id), admin6_).json(), put.json());

  auto scope =
      client_->put(webhook_path(id), R"({"deviceIds":[86],"deviceGroupIds":[600]})", admin6_);
  ASSERT_EQ(scope.status, 200) << scope;
  EXPECT_EQ(scope.json().at("deviceIds"), boost::json::parse("[86]"));
  EXPECT_EQ(scope.json().at("deviceGroupIds"), boost::json::parse("[600]"));
  EXPECT_EQ(scope.json().at("webhookUrl").as_string(), "https://new.example.com/hook?x=1");
  EXPECT_EQ(strings_of(scope.json().at("topics")), kAllTopics);
  EXPECT_EQ(scope.json().at("hasSecretHttp"), boost::json::value(true));

  // An empty body changes nothing but is accepted.
  auto empty = client_->put(webhook_path(id), "{}", admin6_);
  ASSERT_EQ(empty.status, 200) << empty;
  EXPECT_EQ(empty.json().at("deviceIds"), scope.json().at("deviceIds"));
  EXPECT_EQ(empty.json().at("webhookUrl"), scope.json().at("webhookUrl"));
}

TEST_F(ApiTest, PutSecretHttpNullClearsIt) {
  const int64_t id = create_webhook(seed_body(6), admin6_);
  auto cleared = client_->put(webhook_path(id), R"({"secretHttp":null})", admin6_);
  ASSERT_EQ(cleared.status, 200) << cleared;
  EXPECT_EQ(cleared.json().at("hasSecretHttp"), boost::json::value(false));
  EXPECT_EQ(client_->get(webhook_path(id), admin6_).json().at("hasSecretHttp"),
            boost::json::value(false));

  auto set = client_->put(webhook_path(id), R"({"secretHttp":"n3wS3cretValue"})", admin6_);
  ASSERT_EQ(set.status, 200) << set;
  EXPECT_EQ(set.json().at("hasSecretHttp"), boost::json::value(true));
  EXPECT_EQ(set.body.find("n3wS3cretValue"), std::string::npos) << set.body;

  // Leaving it out keeps it.
  auto kept = client_->put(webhook_path(id), R"({"topics":["DeviceTamperEvents"]})", admin6_);
  ASSERT_EQ(kept.status, 200) << kept;
  EXPECT_EQ(kept.json().at("hasSecretHttp"), boost::json::value(true));
}

TEST_F(ApiTest, PutStatusDisablesAndReenables) {
  const int64_t id = create_webhook(seed_body(6), admin6_);
  auto disabled = client_->put(webhook_path(id), R"({"status":"disabled"})", admin6_);
  ASSERT_EQ(disabled.status, 200) << disabled;
  EXPECT_EQ(disabled.json().at("status").as_string(), "disabled");
  ASSERT_TRUE(disabled.json().at("disabledReason").is_string()) << disabled.body;
  EXPECT_FALSE(disabled.json().at("disabledReason").as_string().empty());
  EXPECT_EQ(client_->get(webhook_path(id), admin6_).json().at("status").as_string(), "disabled");

  auto enabled = client_->put(webhook_path(id), R"({"status":"enabled"})", admin6_);
  ASSERT_EQ(enabled.status, 200) << enabled;
  EXPECT_EQ(enabled.json().at("status").as_string(), "enabled");
  EXPECT_TRUE(enabled.json().at("disabledReason").is_null()) << enabled.body;
  auto after = client_->get(webhook_path(id), admin6_);
  EXPECT_EQ(after.json().at("status").as_string(), "enabled");
  EXPECT_TRUE(after.json().at("disabledReason").is_null()) << after.body;
}

TEST_F(ApiTest, PutCannotMoveAWebhookToAnotherOrganization) {
  const int64_t id = create_webhook(org_wide_body(6), admin6_);
  auto before = client_->get(webhook_path(id), admin6_);
  auto r = client_->put(webhook_path(id), R"({"organizationId":7})", admin6_);
  EXPECT_EQ(r.status, 400) << r;
  expect_error_shape(r);
  // Not even the platform, which holds both.
  auto p = client_->put(webhook_path(id), R"({"organizationId":7})", platform_token_);
  EXPECT_EQ(p.status, 400) << p;
  expect_error_shape(p);
  EXPECT_EQ(client_->get(webhook_path(id), admin6_).json(), before.json());

  // Naming its own organization is harmless.
  auto same = client_->put(webhook_path(id), R"({"organizationId":6})", admin6_);
  EXPECT_EQ(same.status, 200) << same;
}

TEST_F(ApiTest, PutValidatesLikeCreate) {
  const int64_t id = create_webhook(seed_body(6), admin6_);
  const std::string path = webhook_path(id);
  auto before = client_->get(path, admin6_);
  ASSERT_EQ(before.status, 200) << before;

  expect_error(
      client_->put(path, R"({"webhookUrl":"http://webhooks.athom.com/webhook/XXXXX"})", admin6_),
      400, "WebhookUnsupportedProtocol");
  auto seed_message = client_->put(path, R"({"webhookUrl":"http://x.example.com/"})", admin6_);
  EXPECT_EQ(seed_message.body,
            R"({"message":"Unsupported protocol: We only support https for now.",)"
            R"("code":"WebhookUnsupportedProtocol",)"
            R"("errorMessage":"Unsupported protocol: We only support https for now.",)"
            R"("errorCode":"WebhookUnsupportedProtocol"})");
  expect_error(client_->put(path, R"({"webhookUrl":"https://u:p@x.example.com/"})", admin6_), 400,
               "WebhookInvalidUrl");
  expect_error(client_->put(path, R"({"webhookUrl":"https://10.1.2.3/"})", admin6_), 400,
               "WebhookForbiddenDestination");
  expect_error(client_->put(path, R"({"webhookUrl":42})", admin6_), 400, "InvalidRequestBody");
  expect_error(client_->put(path, R"({"topics":[]})", admin6_), 400, "InvalidRequestBody");
  expect_error(client_->put(path, R"({"topics":["DeviceExplodedEvents"]})", admin6_), 400,
               "UnsupportedTopic");
  expect_error(client_->put(path, R"({"deviceIds":["85"]})", admin6_), 400, "InvalidRequestBody");
  expect_error(client_->put(path, R"({"deviceIds":[999]})", admin6_), 404, "DeviceNotFound");
  expect_error(client_->put(path, R"({"secretHttp":"a\nb"})", admin6_), 400, "InvalidRequestBody");
  expect_error(client_->put(path, R"({"status":"paused"})", admin6_), 400, "InvalidRequestBody");
  expect_error(client_->put(path, "not json", admin6_), 400, "InvalidRequestBody");
  expect_error(client_->put(path, "[]", admin6_), 400, "InvalidRequestBody");
  // A valid field beside an invalid one is not applied either.
  expect_error(
      client_->put(path, R"({"topics":["DeviceTamperEvents"],"webhookUrl":"ftp://x.example.com/"})",
                   admin6_),
      400, "WebhookUnsupportedProtocol");

  EXPECT_EQ(client_->get(path, admin6_).json(), before.json());
}

TEST_F(ApiTest, DeleteAnswers204AndTheWebhookIsGone) {
  const int64_t id = create_webhook(seed_body(6), admin6_);
  const int64_t other = create_webhook(org_wide_body(6), admin6_);
  auto r = client_->del(webhook_path(id), admin6_);
  EXPECT_EQ(r.status, 204) << r;
  EXPECT_TRUE(r.body.empty()) << r;

  expect_error(client_->get(webhook_path(id), admin6_), 404, "WebhookNotFound");
  expect_error(client_->put(webhook_path(id), R"({"status":"enabled"})", admin6_), 404,
               "WebhookNotFound");
  expect_error(client_->del(webhook_path(id), admin6_), 404, "WebhookNotFound");
  auto list = client_->get("/v2/webhooks", admin6_);
  ASSERT_EQ(list.status, 200) << list;
  EXPECT_EQ(ids_in(list), std::vector<int64_t>{other});
}

TEST_F(ApiTest, UnknownOrMalformedWebhookIdIsWebhookNotFound) {
  for (const std::string id : {"999999", "0", "-1", "abc", "1.5", "99999999999999999999999"}) {
    SCOPED_TRACE(id);
    expect_error(client_->get("/v2/webhooks/" + id, admin6_), 404, "WebhookNotFound");
    expect_error(client_->put("/v2/webhooks/" + id, R"({"status":"enabled"})", admin6_), 404,
                 "WebhookNotFound");
    expect_error(client_->del("/v2/webhooks/" + id, admin6_), 404, "WebhookNotFound");
  }
}

}  // namespace
}  // namespace hookd::testing
