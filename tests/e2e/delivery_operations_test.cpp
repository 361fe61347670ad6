// Operating deliveries: the attempt log, retry and recover (contract section 3, "Delivery
// operations").
#include <ctime>

#include "delivery_fixture.hpp"

namespace hookd::testing {
namespace {

std::string rfc3339_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(buf) + "." + std::to_string(1000 + ms.count()).substr(1) + "Z";
}

class DeliveryOperationsTest : public DeliveryTest {
 protected:
  std::string deliveries_path(int64_t webhook) {
    return "/v2/webhooks/" + std::to_string(webhook) + "/deliveries";
  }
  std::string event_id(const HttpResponse& r) {
    return std::string(r.json().at("events").at(0).at("id").as_string());
  }
};

TEST_F(DeliveryOperationsTest, TheLogShowsEveryAttemptOfAReceiverThatFailedTwice) {
  const auto hook = create_hook("/fail/2/log");
  auto ingested = post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents","data":{"x":1}})");
  ASSERT_EQ(ingested.status, 202);
  ASSERT_TRUE(receiver_->wait_for(3, "/fail/2/log"));
  ASSERT_TRUE(wait_for_rows("SELECT status FROM deliveries", {"succeeded|"}));

  auto list = client_->get(deliveries_path(hook.id), admin6_);
  ASSERT_EQ(list.status, 200) << list;
  const auto deliveries = list.json().as_array();
  ASSERT_EQ(deliveries.size(), 1u);
  const auto& d = deliveries[0].as_object();
  EXPECT_EQ(d.at("eventId"), event_id(ingested).c_str());
  EXPECT_EQ(d.at("topic"), "DeviceStatusEvents");
  EXPECT_EQ(d.at("status"), "succeeded");
  EXPECT_EQ(d.at("attemptCount"), 3);
  EXPECT_EQ(d.at("lastStatusCode"), 200);
  EXPECT_TRUE(d.at("nextAttemptAt").is_null());

  auto one =
      client_->get(deliveries_path(hook.id) + "/" + std::to_string(d.at("id").as_int64()), admin6_);
  ASSERT_EQ(one.status, 200) << one;
  const auto detail = one.json();
  EXPECT_EQ(detail.at("event").at("data"), boost::json::parse(R"({"x":1})"));
  EXPECT_EQ(detail.at("event").at("webhookId"), hook.id);
  EXPECT_EQ(boost::json::parse(receiver_->received().at(0).body), detail.at("event"));
  const auto& attempts = detail.at("attempts").as_array();
  ASSERT_EQ(attempts.size(), 3u);
  const int expected_status[] = {500, 500, 200};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(attempts[i].at("attempt"), static_cast<int64_t>(i + 1));
    EXPECT_EQ(attempts[i].at("statusCode"), expected_status[i]);
    EXPECT_GE(attempts[i].at("durationMs").as_int64(), 0);
    EXPECT_EQ(attempts[i].at("responseBody"), i < 2 ? "failing on purpose" : "ok");
    EXPECT_EQ(attempts[i].at("error").is_null(), i == 2);
  }
}

TEST_F(DeliveryOperationsTest, TheLogFiltersByStatusAndPages) {
  const auto hook = create_hook("/status/500/paged");
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
  }
  ASSERT_TRUE(wait_for_rows("SELECT count(*) FROM deliveries WHERE status = 'failed'", {"3|"}));
  auto failed = client_->get(deliveries_path(hook.id) + "?status=failed&size=2", admin6_);
  ASSERT_EQ(failed.status, 200) << failed;
  const auto page1 = failed.json().as_array();
  ASSERT_EQ(page1.size(), 2u);
  EXPECT_GT(page1[0].at("id").as_int64(), page1[1].at("id").as_int64());  // newest first
  auto page2 = client_->get(deliveries_path(hook.id) + "?status=failed&size=2&offset=2", admin6_);
  EXPECT_EQ(page2.json().as_array().size(), 1u);
  EXPECT_EQ(client_->get(deliveries_path(hook.id) + "?status=succeeded", admin6_)
                .json()
                .as_array()
                .size(),
            0u);
  EXPECT_EQ(client_->get(deliveries_path(hook.id) + "?status=lost", admin6_).status, 400);
  EXPECT_EQ(client_->get(deliveries_path(hook.id) + "?size=101", admin6_).status, 400);
}

TEST_F(DeliveryOperationsTest, ARetriedFailedDeliveryArrives) {
  const auto hook = create_hook("/fail/4/retry");
  ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
  ASSERT_TRUE(wait_for_rows("SELECT status, attempt_count FROM deliveries", {"failed|4|"}));
  const auto id = database_rows(server_->database_url(), "SELECT id FROM deliveries").at(0);
  const std::string delivery = id.substr(0, id.size() - 1);
  auto r =
      client_->post(deliveries_path(hook.id) + "/" + delivery + "/retry", std::nullopt, admin6_);
  EXPECT_EQ(r.status, 202) << r;
  ASSERT_TRUE(receiver_->wait_for(5, "/fail/4/retry"));
  EXPECT_EQ(receiver_->received().at(4).header("x-webhook-attempt"), "5");
  EXPECT_TRUE(wait_for_rows("SELECT status, attempt_count FROM deliveries", {"succeeded|5|"}));
  EXPECT_EQ(client_->post(deliveries_path(hook.id) + "/999999/retry", std::nullopt, admin6_).status,
            404);
}

TEST_F(DeliveryOperationsTest, RecoverResendsExactlyTheFailuresSinceATime) {
  const auto hook = create_hook("/fail/8/recover");
  auto older = post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})");
  ASSERT_TRUE(wait_for_rows("SELECT status FROM deliveries", {"failed|"}));
  const std::string since = rfc3339_now();
  auto newer = post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})");
  ASSERT_TRUE(wait_for_rows("SELECT status FROM deliveries ORDER BY id", {"failed|", "failed|"}));

  auto r = client_->post("/v2/webhooks/" + std::to_string(hook.id) + "/recover",
                         R"({"since":")" + since + R"("})", admin6_);
  ASSERT_EQ(r.status, 202) << r;
  EXPECT_EQ(r.json().at("count"), 1);
  ASSERT_TRUE(receiver_->wait_for(9, "/fail/8/recover"));
  EXPECT_TRUE(
      wait_for_rows("SELECT status FROM deliveries ORDER BY id", {"failed|", "succeeded|"}));
  EXPECT_EQ(receiver_->received().at(8).header("webhook-id"), event_id(newer));
  EXPECT_EQ(client_
                ->post("/v2/webhooks/" + std::to_string(hook.id) + "/recover",
                       R"({"since":"last week"})", admin6_)
                .status,
            400);
}

TEST_F(DeliveryOperationsTest, AnotherOrganizationSeesNoneOfIt) {
  const auto hook = create_hook("/ok/private");
  ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
  ASSERT_TRUE(wait_for_rows("SELECT status FROM deliveries", {"succeeded|"}));
  const std::string base = "/v2/webhooks/" + std::to_string(hook.id);
  const auto id = database_rows(server_->database_url(), "SELECT id FROM deliveries").at(0);
  const std::string delivery = id.substr(0, id.size() - 1);
  for (auto r : {client_->get(base + "/deliveries", admin7_),
                 client_->get(base + "/deliveries/" + delivery, admin7_),
                 client_->post(base + "/deliveries/" + delivery + "/retry", std::nullopt, admin7_),
                 client_->post(base + "/recover", R"({"since":"2020-01-01T00:00:00Z"})", admin7_),
                 client_->post(base + "/rotate-secret", std::nullopt, admin7_),
                 client_->post(base + "/test", std::nullopt, admin7_)}) {
    EXPECT_EQ(r.status, 404) << r;
    EXPECT_EQ(r.json().at("code"), "WebhookNotFound");
  }
  // A read token of the owner may look but not act.
  EXPECT_EQ(client_->get(base + "/deliveries/" + delivery, read6_).status, 200);
  EXPECT_EQ(client_->post(base + "/deliveries/" + delivery + "/retry", std::nullopt, read6_).status,
            403);
  EXPECT_EQ(client_->get(base + "/deliveries/999999", admin6_).json().at("code"),
            "DeliveryNotFound");
}

}  // namespace
}  // namespace hookd::testing
