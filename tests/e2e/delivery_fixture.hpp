#pragma once

#include "api_fixture.hpp"
#include "support/db_snapshot.hpp"
#include "support/temp_dir.hpp"
#include "support/test_ca.hpp"
#include "support/webhook_receiver.hpp"

namespace hookd::testing {

// ApiTest plus a real HTTPS receiver that hookd trusts through delivery.ca_file, and a short
// retry schedule so that retries take milliseconds.
class DeliveryTest : public ApiTest {
 protected:
  struct Created {
    int64_t id;
    std::string secret;
  };

  virtual std::string delivery_toml() const {
    return "retry_schedule = [\"100ms\", \"100ms\", \"100ms\"]\n"
           "timeout = \"2s\"\n"
           "connect_timeout = \"1s\"\n";
  }

  HookdOptions server_options() override {
    HookdOptions o;
    o.config_toml = "[delivery]\n" + delivery_toml() +
                    "allow_targets = [\"127.0.0.0/8\"]\n"
                    "ca_file = \"" +
                    certs_.ca_cert + "\"\n";
    return o;
  }

  void SetUp() override {
    certs_ = make_test_certificates(certs_dir_.path());
    receiver_ = std::make_unique<WebhookReceiver>(certs_);
    ApiTest::SetUp();
  }

  static constexpr const char* kAllTopics =
      R"(["DeviceActivationEvents","DeviceDeactivationEvents","DeviceStatusEvents","DeviceTamperEvents"])";

  // A webhook of organization 6 on the receiver's `path`.
  Created create_hook(const std::string& path, const std::string& scope = R"("deviceIds":[85])",
                      const std::string& topics = kAllTopics, const std::string& extra = "") {
    return create_hook_on(*receiver_, path, scope, topics, extra);
  }

  // The same on another receiver (one that hangs, or speaks HTTP/2).
  Created create_hook_on(const WebhookReceiver& receiver, const std::string& path,
                         const std::string& scope = R"("deviceIds":[85])",
                         const std::string& topics = kAllTopics, const std::string& extra = "") {
    std::string body = R"({"organizationId":6,)" + scope + (scope.empty() ? "" : ",") +
                       R"("webhookUrl":")" + receiver.url(path) + R"(","topics":)" + topics +
                       extra + "}";
    auto r = client_->post("/v2/webhooks", body, admin6_);
    EXPECT_EQ(r.status, 200) << r << "\n" << body;
    return Created{r.json().at("id").as_int64(),
                   std::string(r.json().at("secretHmac").as_string())};
  }

  HttpResponse post_events(const std::string& body) {
    return client_->post("/v2/platform/events", body, platform_token_);
  }

  // Polls the store until `sql` returns `expected` rows' worth of text, or the deadline.
  bool wait_for_rows(const std::string& sql, const std::vector<std::string>& expected,
                     std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
      if (database_rows(server_->database_url(), sql) == expected) return true;
      // Polling a database has nothing to wait on; a short pause keeps it from spinning.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return database_rows(server_->database_url(), sql) == expected;
  }

  TempDir certs_dir_;
  TestCertificates certs_;
  std::unique_ptr<WebhookReceiver> receiver_;
};

}  // namespace hookd::testing
