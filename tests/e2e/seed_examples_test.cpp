// The two examples of the original API page (shared/seed/POST_v2_webhooks.txt), reproduced.
#include <set>

#include "api_fixture.hpp"

namespace hookd::testing {
namespace {

const std::vector<std::pair<std::string, std::string>> kSeedHeaders = {
    {"Access-Control-Expose-Headers", "authorization, content-type"},
    {"Access-Control-Allow-Headers", "authorization, content-type"},
    {"Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS, PUT"},
    {"Access-Control-Allow-Origin", "*"},
    {"Strict-Transport-Security", "max-age=31536000; includeSubDomains"},
    {"X-Frame-Options", "SAMEORIGIN"},
    {"X-Content-Type-Options", "nosniff"},
    {"X-XSS-Protection", "1; mode=block"},
    {"Content-Security-Policy",
     "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"},
    {"Referrer-Policy", "no-referrer"},
    {"Feature-Policy", "self"},
    {"Permissions-policy", "interest-cohort=()"},
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The twelve headers with the seed's values, each once, and nothing else but framing.
void expect_seed_headers(const HttpResponse& r) {
  for (const auto& [name, value] : kSeedHeaders) {
    const auto values = r.header_values(name);
    ASSERT_EQ(values.size(), 1u) << name << "\n" << r;
    EXPECT_EQ(values[0], value) << name;
  }
  std::set<std::string> allowed{"content-type", "content-length", "connection"};
  for (const auto& [name, value] : kSeedHeaders) allowed.insert(lower(name));
  for (const auto& [name, value] : r.headers) {
    EXPECT_TRUE(allowed.contains(lower(name))) << "unexpected header " << name << ": " << value;
  }
}

bool is_alphanumeric(std::string_view s) {
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

TEST_F(ApiTest, SeedExampleConnectAWebhook) {
  auto r = client_->post("/v2/webhooks", seed_body(6), admin6_);
  ASSERT_EQ(r.status, 200) << r;
  expect_seed_headers(r);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  const auto body = r.json().as_object();
  ASSERT_EQ(body.size(), 2u) << r.body;
  EXPECT_TRUE(body.at("id").is_int64());
  EXPECT_GT(body.at("id").as_int64(), 0);
  const std::string secret(body.at("secretHmac").as_string());
  EXPECT_EQ(secret.size(), 32u);
  EXPECT_TRUE(is_alphanumeric(secret)) << secret;
}

TEST_F(ApiTest, SeedExampleConnectAnInsecureWebhook) {
  auto r = client_->post("/v2/webhooks", R"({
    "organizationId": 7,
    "deviceIds": [89, 90, 91],
    "secretHttp": "K22DgtNmch9DxKtJ",
    "webhookUrl": "http://webhooks.athom.com/webhook/XXXXX",
    "topics": ["DeviceActivationEvents", "DeviceDeactivationEvents", "DeviceStatusEvents", "DeviceTamperEvents"]
  })",
                         admin7_);
  ASSERT_EQ(r.status, 400) << r;
  expect_seed_headers(r);
  EXPECT_EQ(r.json(), boost::json::parse(R"({
    "message": "Unsupported protocol: We only support https for now.",
    "code": "WebhookUnsupportedProtocol",
    "errorMessage": "Unsupported protocol: We only support https for now.",
    "errorCode": "WebhookUnsupportedProtocol"
  })"));
  // Word for word, in the seed's key order.
  EXPECT_EQ(r.body, R"({"message":"Unsupported protocol: We only support https for now.",)"
                    R"("code":"WebhookUnsupportedProtocol",)"
                    R"("errorMessage":"Unsupported protocol: We only support https for now.",)"
                    R"("errorCode":"WebhookUnsupportedProtocol"})");
}

TEST_F(ApiTest, EveryResponseCarriesTheSeedHeaders) {
  expect_seed_headers(client_->get("/healthz"));
  expect_seed_headers(client_->get("/readyz"));
  expect_seed_headers(client_->get("/no/such/route"));
  expect_seed_headers(client_->get("/v2/webhooks"));  // 401
  expect_seed_headers(client_->get("/v2/webhooks", admin6_));
  expect_seed_headers(client_->request("OPTIONS", "/v2/webhooks"));
  expect_seed_headers(client_->request("PATCH", "/v2/webhooks", std::string("{}")));
}

TEST_F(ApiTest, PreflightNeedsNoToken) {
  auto r = client_->request("OPTIONS", "/v2/webhooks/123", std::nullopt,
                            {{"Origin", "https://app.example"},
                             {"Access-Control-Request-Method", "PUT"},
                             {"Access-Control-Request-Headers", "authorization, content-type"}});
  EXPECT_EQ(r.status, 204) << r;
  EXPECT_TRUE(r.body.empty());
  expect_seed_headers(r);
}

TEST_F(ApiTest, HmacSecretsDifferEveryTime) {
  std::set<std::string> secrets;
  for (int i = 0; i < 5; ++i) {
    auto r = client_->post("/v2/webhooks", seed_body(6), admin6_);
    ASSERT_EQ(r.status, 200) << r;
    secrets.insert(std::string(r.json().at("secretHmac").as_string()));
  }
  EXPECT_EQ(secrets.size(), 5u);
}

}  // namespace
}  // namespace hookd::testing
