#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>

#include "support/hookd_process.hpp"
#include "support/http_client.hpp"

namespace hookd::testing {

// A fresh hookd on a fresh SQLite file with the seed's tenants: organization 6 with devices
// 85-87 and group 600 {85, 86}, organization 7 with devices 89-91 and group 700 {89}.
class ApiTest : public ::testing::Test {
 protected:
  // Fixtures that need settings (a retry schedule, allowed targets) override this.
  virtual HookdOptions server_options() { return {}; }

  void SetUp() override {
    server_ = std::make_unique<HookdServer>(server_options());
    client_ = std::make_unique<HttpClient>(server_->base_url());
    platform_token_ = server_->create_token("platform");
    for (int org : {6, 7}) {
      expect_ok(client_->put("/v2/platform/organizations/" + std::to_string(org),
                             R"({"name":"org )" + std::to_string(org) + R"("})", platform_token_));
    }
    for (int device : {85, 86, 87}) put_device(device, 6);
    for (int device : {89, 90, 91}) put_device(device, 7);
    expect_ok(client_->put("/v2/platform/device-groups/600",
                           R"({"organizationId":6,"name":"front doors","deviceIds":[85,86]})",
                           platform_token_));
    expect_ok(client_->put("/v2/platform/device-groups/700",
                           R"({"organizationId":7,"name":"gates","deviceIds":[89]})",
                           platform_token_));
    admin6_ = create_token("admin", 6);
    read6_ = create_token("read", 6);
    admin7_ = create_token("admin", 7);
  }

  void put_device(int device, int org) {
    expect_ok(client_->put("/v2/platform/devices/" + std::to_string(device),
                           R"({"organizationId":)" + std::to_string(org) + R"(,"name":"lock"})",
                           platform_token_));
  }

  // A token made through the platform API, as an integration would get it.
  std::string create_token(std::string_view role, int org) {
    auto r = client_->post(
        "/v2/platform/tokens",
        R"({"role":")" + std::string(role) + R"(","organizationId":)" + std::to_string(org) + "}",
        platform_token_);
    expect_ok(r);
    return std::string(r.json().at("token").as_string());
  }

  static void expect_ok(const HttpResponse& r) { ASSERT_EQ(r.status, 200) << r; }

  static std::string seed_body(int org = 6) {
    return R"({"organizationId": )" + std::to_string(org) + R"(,
      "deviceIds": [85, 86, 87],
      "secretHttp": "PoWJFA11inptkbGz",
      "webhookUrl": "https://webhooks.athom.com/webhook/XXXXX",
      "topics": ["DeviceActivationEvents", "DeviceDeactivationEvents", "DeviceStatusEvents", "DeviceTamperEvents"]})";
  }

  // Creates a webhook and returns its id.
  int64_t create_webhook(const std::string& body, const std::string& token) {
    auto r = client_->post("/v2/webhooks", body, token);
    EXPECT_EQ(r.status, 200) << r;
    return r.json().at("id").as_int64();
  }

  std::unique_ptr<HookdServer> server_;
  std::unique_ptr<HttpClient> client_;
  std::string platform_token_, admin6_, read6_, admin7_;
};

}  // namespace hookd::testing
