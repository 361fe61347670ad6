// Secret rotation, test events, and a dead webhook disabled then recovered (contract sections
// 3 and 6).
#include "delivery_fixture.hpp"

namespace hookd::testing {
namespace {

class RotationTest : public DeliveryTest {
 protected:
  std::string delivery_toml() const override {
    return "retry_schedule = [\"100ms\"]\ntimeout = \"2s\"\nsecret_rotation_grace = \"2s\"\n";
  }
};

TEST_F(RotationTest, BothSecretsVerifyDuringTheGraceAndOnlyTheNewOneAfter) {
  const auto hook = create_hook("/ok/rotate");
  auto rotated = client_->post("/v2/webhooks/" + std::to_string(hook.id) + "/rotate-secret",
                               std::nullopt, admin6_);
  ASSERT_EQ(rotated.status, 200) << rotated;
  const std::string new_secret(rotated.json().at("secretHmac").as_string());
  EXPECT_EQ(new_secret.size(), 32u);
  EXPECT_NE(new_secret, hook.secret);

  ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
  ASSERT_TRUE(receiver_->wait_for(1, "/ok/rotate"));
  const ReceivedRequest during = receiver_->received().at(0);
  const auto signatures = during.header("webhook-signature");
  EXPECT_EQ(std::count(signatures.begin(), signatures.end(), ' '), 1) << signatures;
  EXPECT_TRUE(verify_with_npm({during}, new_secret).at(0).standardwebhooks);
  EXPECT_TRUE(verify_with_npm({during}, hook.secret).at(0).standardwebhooks);

  // Once the 2 s grace has passed, deliveries carry the new secret's signature alone.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  size_t sent = 1;
  std::optional<ReceivedRequest> after;
  while (!after && std::chrono::steady_clock::now() < deadline) {
    ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
    ASSERT_TRUE(receiver_->wait_for(++sent, "/ok/rotate"));
    const ReceivedRequest last = receiver_->received().back();
    if (last.header("webhook-signature").find(' ') == std::string::npos) after = last;
  }
  ASSERT_TRUE(after) << "the old secret still signed after its grace";
  EXPECT_TRUE(verify_with_npm({*after}, new_secret).at(0).standardwebhooks);
  EXPECT_FALSE(verify_with_npm({*after}, hook.secret).at(0).standardwebhooks);
}

TEST_F(DeliveryTest, ATestEventReachesThatWebhookAlone) {
  const auto target = create_hook("/ok/tested");
  create_hook("/ok/bystander");
  auto r =
      client_->post("/v2/webhooks/" + std::to_string(target.id) + "/test", std::nullopt, admin6_);
  ASSERT_EQ(r.status, 202) << r;
  const std::string event_id(r.json().at("eventId").as_string());
  ASSERT_TRUE(receiver_->wait_for(1, "/ok/tested"));
  const ReceivedRequest got = receiver_->received().at(0);
  EXPECT_EQ(got.header("x-webhook-topic"), "WebhookTestEvents");
  EXPECT_EQ(got.header("webhook-id"), event_id);
  const auto body = boost::json::parse(got.body);
  EXPECT_EQ(body.at("topic"), "WebhookTestEvents");
  EXPECT_EQ(body.at("webhookId"), target.id);
  EXPECT_EQ(body.at("organizationId"), 6);
  EXPECT_TRUE(body.at("deviceId").is_null());
  EXPECT_TRUE(verify_with_npm({got}, target.secret).at(0).standardwebhooks);
  EXPECT_TRUE(wait_for_rows("SELECT count(*) FROM deliveries", {"1|"}));
  EXPECT_EQ(
      client_->post("/v2/webhooks/" + std::to_string(target.id) + "/test", std::nullopt, read6_)
          .status,
      403);
  // Topics of test events cannot be subscribed to or sent by the platform.
  EXPECT_EQ(post_events(R"({"deviceId":85,"topic":"WebhookTestEvents"})").status, 400);
}

class AutoDisableTest : public DeliveryTest {
 protected:
  std::string delivery_toml() const override {
    return "retry_schedule = [\"300ms\", \"300ms\", \"300ms\", \"300ms\", \"300ms\"]\n"
           "timeout = \"2s\"\ndisable_after = \"1s\"\n";
  }
};

TEST_F(AutoDisableTest, AWebhookThatOnlyFailsIsDisabledThenRecovered) {
  const auto hook = create_hook("/status/500/dead");
  const std::string path = "/v2/webhooks/" + std::to_string(hook.id);
  const auto since = std::string("2020-01-01T00:00:00Z");
  ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
  ASSERT_TRUE(wait_for_rows("SELECT status FROM webhooks", {"disabled|"}));
  auto w = client_->get(path, admin6_).json();
  EXPECT_EQ(w.at("status"), "disabled");
  EXPECT_NE(std::string(w.at("disabledReason").as_string()).find("failed"), std::string::npos) << w;
  // While disabled, matching events are kept as skipped deliveries and not sent.
  const size_t sent_before = receiver_->received().size();
  auto later = post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})");
  ASSERT_EQ(later.status, 202);
  EXPECT_EQ(later.json().at("events").at(0).at("deliveries"), 1);
  ASSERT_TRUE(
      wait_for_rows("SELECT status FROM deliveries ORDER BY id DESC LIMIT 1", {"skipped|"}));
  EXPECT_EQ(receiver_->received().size(), sent_before);

  // The integrator fixes the receiver and enables the webhook again; recover sends what it
  // missed.
  auto enabled = client_->put(
      path, R"({"status":"enabled","webhookUrl":")" + receiver_->url("/ok/revived") + R"("})",
      admin6_);
  ASSERT_EQ(enabled.status, 200) << enabled;
  EXPECT_TRUE(enabled.json().at("disabledReason").is_null());
  auto recovered = client_->post(path + "/recover", R"({"since":")" + since + R"("})", admin6_);
  ASSERT_EQ(recovered.status, 202) << recovered;
  EXPECT_EQ(recovered.json().at("count"), 2);
  ASSERT_TRUE(receiver_->wait_for(2, "/ok/revived"));
  EXPECT_TRUE(
      wait_for_rows("SELECT status FROM deliveries ORDER BY id", {"succeeded|", "succeeded|"}));
}

TEST_F(DeliveryTest, DisablingByHandSkipsWhatIsPending) {
  const auto hook = create_hook("/hang/paused");
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
  }
  ASSERT_TRUE(receiver_->wait_for(3, "/hang/paused"));  // all three on the wire
  auto r =
      client_->put("/v2/webhooks/" + std::to_string(hook.id), R"({"status":"disabled"})", admin6_);
  ASSERT_EQ(r.status, 200) << r;
  // Attempts already on the wire end as they end (the 2 s timeout), are logged, and leave
  // their deliveries skipped; nothing more is sent.
  EXPECT_TRUE(wait_for_rows("SELECT count(*) FROM attempts", {"3|"}));
  EXPECT_TRUE(wait_for_rows("SELECT status FROM deliveries", {"skipped|", "skipped|", "skipped|"}));
  EXPECT_EQ(receiver_->received().size(), 3u) << receiver_->log();
}

}  // namespace
}  // namespace hookd::testing
