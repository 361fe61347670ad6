// Tenancy (contract section 2): an organization sees and names only its own devices, groups
// and webhooks; another organization's webhook is reported as not found.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "api_fixture.hpp"
#include "expect_error.hpp"

namespace hookd::testing {
namespace {

std::string body_with(int org, std::string_view scope) {
  return R"({"organizationId":)" + std::to_string(org) + "," + std::string(scope) +
         R"(,"webhookUrl":"https://hooks.example.com/in","topics":["DeviceStatusEvents"]})";
}

std::string webhook_path(int64_t id) { return "/v2/webhooks/" + std::to_string(id); }

std::set<int64_t> organizations_in(const HttpResponse& list) {
  std::set<int64_t> orgs;
  const boost::json::value items = list.json();
  for (const auto& w : items.as_array()) orgs.insert(w.at("organizationId").as_int64());
  return orgs;
}

std::vector<int64_t> ids_in(const HttpResponse& list) {
  std::vector<int64_t> ids;
  const boost::json::value items = list.json();
  for (const auto& w : items.as_array()) ids.push_back(w.at("id").as_int64());
  return ids;
}

TEST_F(ApiTest, DeviceOfAnotherOrganizationIsDeviceNotFound) {
  expect_error(client_->post("/v2/webhooks", body_with(6, R"("deviceIds":[89])"), admin6_), 404,
               "DeviceNotFound");
  expect_error(client_->post("/v2/webhooks", body_with(6, R"("deviceIds":[85,86,89])"), admin6_),
               404, "DeviceNotFound");
  expect_error(client_->post("/v2/webhooks", body_with(7, R"("deviceIds":[85])"), admin7_), 404,
               "DeviceNotFound");
  // The platform token holds every organization, but a device still belongs to one.
  expect_error(client_->post("/v2/webhooks", body_with(6, R"("deviceIds":[90])"), platform_token_),
               404, "DeviceNotFound");
  auto list = client_->get("/v2/webhooks", platform_token_);
  ASSERT_EQ(list.status, 200) << list;
  EXPECT_TRUE(list.json().as_array().empty()) << list;
}

TEST_F(ApiTest, NonexistentDeviceIsDeviceNotFound) {
  expect_error(client_->post("/v2/webhooks", body_with(6, R"("deviceIds":[999999])"), admin6_), 404,
               "DeviceNotFound");
  expect_error(client_->post("/v2/webhooks", body_with(6, R"("deviceIds":[85,88])"), admin6_), 404,
               "DeviceNotFound");
}

TEST_F(ApiTest, DeviceGroupOfAnotherOrganizationIsDeviceGroupNotFound) {
  expect_error(client_->post("/v2/webhooks", body_with(6, R"("deviceGroupIds":[700])"), admin6_),
               404, "DeviceGroupNotFound");
  expect_error(
      client_->post("/v2/webhooks", body_with(6, R"("deviceGroupIds":[600,700])"), admin6_), 404,
      "DeviceGroupNotFound");
  expect_error(client_->post("/v2/webhooks", body_with(7, R"("deviceGroupIds":[600])"), admin7_),
               404, "DeviceGroupNotFound");
  expect_error(
      client_->post("/v2/webhooks", body_with(6, R"("deviceGroupIds":[700])"), platform_token_),
      404, "DeviceGroupNotFound");
}

TEST_F(ApiTest, NonexistentDeviceGroupIsDeviceGroupNotFound) {
  expect_error(client_->post("/v2/webhooks", body_with(6, R"("deviceGroupIds":[123456])"), admin6_),
               404, "DeviceGroupNotFound");
}

TEST_F(ApiTest, UpdateCannotNameAnotherOrganizationsDevicesOrGroups) {
  const int64_t id = create_webhook(body_with(6, R"("deviceIds":[85])"), admin6_);
  expect_error(client_->put(webhook_path(id), R"({"deviceIds":[89]})", admin6_), 404,
               "DeviceNotFound");
  expect_error(client_->put(webhook_path(id), R"({"deviceGroupIds":[700]})", admin6_), 404,
               "DeviceGroupNotFound");
  auto after = client_->get(webhook_path(id), admin6_);
  ASSERT_EQ(after.status, 200) << after;
  EXPECT_EQ(after.json().at("deviceIds"), boost::json::parse("[85]")) << after;
  EXPECT_EQ(after.json().at("deviceGroupIds"), boost::json::parse("[]")) << after;
}

TEST_F(ApiTest, AnotherOrganizationsWebhookIsNotFound) {
  const int64_t theirs = create_webhook(seed_body(6), admin6_);
  const std::string path = webhook_path(theirs);

  expect_error(client_->get(path, admin7_), 404, "WebhookNotFound");
  expect_error(client_->put(path, R"({"webhookUrl":"https://attacker.example.com/"})", admin7_),
               404, "WebhookNotFound");
  expect_error(client_->put(path, R"({"status":"disabled"})", admin7_), 404, "WebhookNotFound");
  expect_error(client_->del(path, admin7_), 404, "WebhookNotFound");

  // It still exists, unchanged, for its owner.
  auto owner = client_->get(path, admin6_);
  ASSERT_EQ(owner.status, 200) << owner;
  EXPECT_EQ(owner.json().at("webhookUrl").as_string(), "https://webhooks.athom.com/webhook/XXXXX");
  EXPECT_EQ(owner.json().at("status").as_string(), "enabled");
  EXPECT_EQ(client_->get(path, read6_).status, 200);
}

TEST_F(ApiTest, AnotherOrganizationsWebhookLooksExactlyLikeAMissingOne) {
  const int64_t theirs = create_webhook(body_with(7, R"("deviceIds":[89,90,91])"), admin7_);
  const int64_t missing = theirs + 1000;
  auto foreign = client_->get(webhook_path(theirs), admin6_);
  auto absent = client_->get(webhook_path(missing), admin6_);
  expect_error(foreign, 404, "WebhookNotFound");
  expect_error(absent, 404, "WebhookNotFound");
  EXPECT_EQ(foreign.body, absent.body);
  EXPECT_EQ(client_->del(webhook_path(theirs), read6_).body,
            client_->del(webhook_path(missing), read6_).body);
}

TEST_F(ApiTest, ListShowsOnlyTheCallersOrganization) {
  const int64_t a = create_webhook(body_with(6, R"("deviceIds":[85])"), admin6_);
  const int64_t b = create_webhook(body_with(6, R"("deviceGroupIds":[600])"), admin6_);
  const int64_t c = create_webhook(body_with(7, R"("deviceIds":[89])"), admin7_);

  auto six = client_->get("/v2/webhooks", admin6_);
  ASSERT_EQ(six.status, 200) << six;
  EXPECT_EQ(organizations_in(six), std::set<int64_t>{6});
  EXPECT_EQ(ids_in(six), (std::vector<int64_t>{b, a}));

  auto six_read = client_->get("/v2/webhooks", read6_);
  ASSERT_EQ(six_read.status, 200) << six_read;
  EXPECT_EQ(ids_in(six_read), (std::vector<int64_t>{b, a}));

  auto seven = client_->get("/v2/webhooks", admin7_);
  ASSERT_EQ(seven.status, 200) << seven;
  EXPECT_EQ(ids_in(seven), std::vector<int64_t>{c});

  auto own_filter = client_->get("/v2/webhooks?organizationId=6", admin6_);
  ASSERT_EQ(own_filter.status, 200) << own_filter;
  EXPECT_EQ(ids_in(own_filter), (std::vector<int64_t>{b, a}));
}

TEST_F(ApiTest, ListingAnotherOrganizationIsForbidden) {
  create_webhook(body_with(7, R"("deviceIds":[89])"), admin7_);
  expect_insufficient_rights(client_->get("/v2/webhooks?organizationId=7", admin6_));
  expect_insufficient_rights(client_->get("/v2/webhooks?organizationId=7", read6_));
  expect_insufficient_rights(client_->get("/v2/webhooks?organizationId=6", admin7_));
}

TEST_F(ApiTest, PlatformTokenSeesEveryOrganization) {
  const int64_t a = create_webhook(body_with(6, R"("deviceIds":[85])"), admin6_);
  const int64_t c = create_webhook(body_with(7, R"("deviceIds":[89])"), admin7_);
  // The platform may create in any organization.
  const int64_t d = create_webhook(body_with(7, R"("deviceGroupIds":[700])"), platform_token_);

  auto all = client_->get("/v2/webhooks", platform_token_);
  ASSERT_EQ(all.status, 200) << all;
  EXPECT_EQ(organizations_in(all), (std::set<int64_t>{6, 7}));
  EXPECT_EQ(ids_in(all), (std::vector<int64_t>{d, c, a}));

  auto seven = client_->get("/v2/webhooks?organizationId=7", platform_token_);
  ASSERT_EQ(seven.status, 200) << seven;
  EXPECT_EQ(ids_in(seven), (std::vector<int64_t>{d, c}));

  auto six = client_->get("/v2/webhooks?organizationId=6", platform_token_);
  ASSERT_EQ(six.status, 200) << six;
  EXPECT_EQ(ids_in(six), std::vector<int64_t>{a});

  EXPECT_EQ(client_->get(webhook_path(a), platform_token_).status, 200);
  EXPECT_EQ(client_->get(webhook_path(c), platform_token_).status, 200);
  // And a webhook the platform made belongs to its organization.
  EXPECT_EQ(client_->get(webhook_path(d), admin7_).status, 200);
  expect_error(client_->get(webhook_path(d), admin6_), 404, "WebhookNotFound");
}

TEST_F(ApiTest, GroupMembershipCanGrowAfterAWebhookNamesTheGroup) {
  const int64_t id = create_webhook(body_with(6, R"("deviceGroupIds":[600])"), admin6_);

  put_device(88, 6);
  auto group = client_->put("/v2/platform/device-groups/600",
                            R"({"organizationId":6,"name":"front doors","deviceIds":[85,86,88]})",
                            platform_token_);
  ASSERT_EQ(group.status, 200) << group;
  EXPECT_EQ(group.json().at("id").as_int64(), 600);
  EXPECT_EQ(group.json().at("organizationId").as_int64(), 6);
  auto members = group.json().at("deviceIds").as_array();
  std::vector<int64_t> ids;
  for (const auto& m : members) ids.push_back(m.as_int64());
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<int64_t>{85, 86, 88}));

  auto webhook = client_->get(webhook_path(id), admin6_);
  ASSERT_EQ(webhook.status, 200) << webhook;
  EXPECT_EQ(webhook.json().at("deviceGroupIds"), boost::json::parse("[600]")) << webhook;
  EXPECT_EQ(webhook.json().at("status").as_string(), "enabled");
}

}  // namespace
}  // namespace hookd::testing
