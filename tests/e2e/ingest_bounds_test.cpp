// Bounds on what one organization can make hookd store: its number of webhooks, and how long
// a request of large fan-out holds ingestion (against the real binary, on either backend).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <string>

#include "api_fixture.hpp"
#include "support/db_snapshot.hpp"

namespace hookd::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string webhook_body(int org, const std::string& devices) {
  return R"({"organizationId":)" + std::to_string(org) + R"(,"deviceIds":[)" + devices +
         R"(],"webhookUrl":"https://webhooks.example.com/hook","topics":["DeviceStatusEvents"]})";
}

class WebhookLimitTest : public ApiTest {
 protected:
  HookdOptions server_options() override {
    HookdOptions o;
    o.config_toml = "[limits]\nwebhooks_per_organization = 3\n";
    return o;
  }
};

TEST_F(WebhookLimitTest, OneMoreThanTheLimitIsRefusedAndNothingStored) {
  for (int i = 0; i < 3; ++i) create_webhook(webhook_body(6, "85"), admin6_);
  const auto refused = client_->post("/v2/webhooks", webhook_body(6, "86"), admin6_);
  EXPECT_EQ(refused.status, 409) << refused;
  EXPECT_EQ(refused.json().at("code").as_string(), "WebhookLimitExceeded");
  EXPECT_EQ(refused.json().at("errorCode").as_string(), "WebhookLimitExceeded");
  EXPECT_EQ(refused.json().at("message").as_string(),
            "Webhook limit exceeded: an organization holds at most 3 webhooks");
  EXPECT_EQ(database_rows(server_->database_url(),
                          "SELECT count(*) FROM webhooks WHERE organization_id = 6"),
            (std::vector<std::string>{"3|"}));
  EXPECT_EQ(database_rows(server_->database_url(),
                          "SELECT count(*) FROM webhook_devices WHERE device_id = 86"),
            (std::vector<std::string>{"0|"}));
  // Another organization has its own limit; a deleted webhook makes room.
  create_webhook(webhook_body(7, "89"), admin7_);
  const auto list = client_->get("/v2/webhooks?organizationId=6", admin6_);
  ASSERT_EQ(list.status, 200) << list;
  const int64_t first = list.json().as_array().at(0).at("id").as_int64();
  EXPECT_EQ(client_->del("/v2/webhooks/" + std::to_string(first), admin6_).status, 204);
  create_webhook(webhook_body(6, "86"), admin6_);
}

// 200 webhooks on one device, and 1,000 events of it in one request: 200,000 delivery rows,
// committed in parts. Meanwhile another organization's one-event requests are answered in
// well under a second each. (1,000 webhooks would be 1,000,000 rows: the same behaviour at
// five times the test's length.) The API process alone: nothing delivers, so that only
// ingestion is measured.
class FanOutTest : public ApiTest {
 protected:
  HookdOptions server_options() override {
    HookdOptions o;
    o.extra_args = {"--role", "api"};
    return o;
  }
};

TEST_F(FanOutTest, ALargeFanOutDoesNotHoldAnotherOrganizationsIngestion) {
  constexpr int kWebhooks = 200;
  constexpr int kEvents = 1000;
  for (int i = 0; i < kWebhooks; ++i) create_webhook(webhook_body(6, "85"), admin6_);

  std::string batch = R"({"events":[)";
  for (int i = 0; i < kEvents; ++i) {
    if (i) batch += ',';
    batch += R"({"deviceId":85,"topic":"DeviceStatusEvents","data":{"n":)" + std::to_string(i) +
             R"(},"id":"large-)" + std::to_string(i) + R"("})";
  }
  batch += "]}";
  const std::string base_url = server_->base_url();
  const std::string token = platform_token_;
  auto large = std::async(std::launch::async, [&] {
    HttpClient client(base_url);
    client.set_timeout(300s);
    const auto started = Clock::now();
    auto r = client.post("/v2/platform/events", batch, token);
    return std::make_pair(r, Clock::now() - started);
  });

  Clock::duration slowest{};
  int small_requests = 0;
  // From the moment the large request is sent until it is answered.
  while (large.wait_for(0s) == std::future_status::timeout) {
    const auto started = Clock::now();
    const auto r = client_->post("/v2/platform/events",
                                 R"({"deviceId":89,"topic":"DeviceStatusEvents","id":"small-)" +
                                     std::to_string(small_requests) + R"("})",
                                 platform_token_);
    slowest = std::max(slowest, Clock::now() - started);
    ASSERT_EQ(r.status, 202) << r;
    ++small_requests;
  }
  const auto [answer, took] = large.get();
  EXPECT_GE(small_requests, 5);
  ASSERT_EQ(answer.status, 202) << answer;
  const boost::json::value body = answer.json();
  const auto& events = body.at("events").as_array();
  ASSERT_EQ(events.size(), size_t{kEvents});
  for (const auto& e : events) EXPECT_EQ(e.at("deliveries").as_int64(), kWebhooks);
  EXPECT_EQ(database_rows(server_->database_url(), "SELECT count(*) FROM deliveries"),
            (std::vector<std::string>{std::to_string(kWebhooks * kEvents) + "|"}));
  const auto ms = [](Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  RecordProperty("large_request_ms", static_cast<int>(ms(took)));
  RecordProperty("small_requests", small_requests);
  RecordProperty("slowest_small_request_ms", static_cast<int>(ms(slowest)));
  std::cout << "large request " << ms(took) << " ms; " << small_requests
            << " one-event requests meanwhile, the slowest " << ms(slowest) << " ms\n";
  EXPECT_LT(slowest, 1s);
}

}  // namespace
}  // namespace hookd::testing
