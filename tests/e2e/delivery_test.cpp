// Device events in, signed webhooks out (contract sections 4, 5 and 6).
#include <set>

#include "delivery_fixture.hpp"

namespace hookd::testing {
namespace {

TEST_F(DeliveryTest, DeliversASignedEventThatStandardLibrariesVerify) {
  const auto hook = create_hook("/ok/signed", R"("deviceIds":[85])", R"(["DeviceTamperEvents"])",
                                R"(,"secretHttp":"PoWJFA11inptkbGz")");
  auto r =
      post_events(R"({"deviceId":85,"topic":"DeviceTamperEvents","type":"DeviceTamperVibration",
                           "time":"2026-11-29T06:00:00Z","data":{"level":3},"id":"tamper-1"})");
  ASSERT_EQ(r.status, 202) << r;
  const boost::json::value json = r.json();
  const auto& event = json.at("events").as_array().at(0);
  EXPECT_EQ(event.at("deliveries"), 1);
  EXPECT_EQ(event.at("duplicate"), false);
  const std::string event_id(event.at("id").as_string());

  ASSERT_TRUE(receiver_->wait_for(1, "/ok/signed"));
  const ReceivedRequest got = receiver_->received().at(0);
  EXPECT_EQ(got.header("content-type"), "application/json");
  EXPECT_EQ(got.header("user-agent").rfind("hookd/", 0), 0u) << got.header("user-agent");
  EXPECT_EQ(got.header("webhook-id"), event_id);
  EXPECT_EQ(got.header("x-webhook-topic"), "DeviceTamperEvents");
  EXPECT_EQ(got.header("x-webhook-attempt"), "1");
  EXPECT_EQ(got.header("x-webhook-secret"), "PoWJFA11inptkbGz");
  EXPECT_EQ(got.header("webhook-signature").rfind("v1,", 0), 0u);
  EXPECT_EQ(
      boost::json::parse(got.body),
      boost::json::parse(R"({"id":")" + event_id + R"(","webhookId":)" + std::to_string(hook.id) +
                         R"(,"topic":"DeviceTamperEvents","type":"DeviceTamperVibration",
         "time":"2026-11-29T06:00:00.000Z","organizationId":6,"deviceId":85,"data":{"level":3}})"));

  const auto checks = verify_with_npm({got}, hook.secret);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_TRUE(checks[0].standardwebhooks) << checks[0].error;
  EXPECT_TRUE(checks[0].svix) << checks[0].error;
  // And a wrong secret is refused by the same libraries.
  const auto wrong = verify_with_npm({got}, "bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB");
  EXPECT_FALSE(wrong[0].standardwebhooks);
  EXPECT_FALSE(wrong[0].svix);

  // So does the Python standard library example of the README.
  auto python = run_command(
      {"python3", hookd_source_dir() + "/examples/verify_signature.py", hook.secret,
       got.header("webhook-id"), got.header("webhook-timestamp"), got.header("webhook-signature")},
      got.body);
  EXPECT_EQ(python.exit_code, 0) << python.out << python.err;

  // hookd's own verifier agrees.
  auto ok =
      run_hookd({"verify", "--secret", hook.secret, "--id", got.header("webhook-id"), "--timestamp",
                 got.header("webhook-timestamp"), "--signature", got.header("webhook-signature")},
                got.body);
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  auto tampered =
      run_hookd({"verify", "--secret", hook.secret, "--id", got.header("webhook-id"), "--timestamp",
                 got.header("webhook-timestamp"), "--signature", got.header("webhook-signature")},
                got.body + " ");
  EXPECT_NE(tampered.exit_code, 0);
}

TEST_F(DeliveryTest, AReceiverFailingTwiceGetsTheEventOnTheThirdAttempt) {
  const auto hook = create_hook("/fail/2/a");
  ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
  ASSERT_TRUE(receiver_->wait_for(3, "/fail/2/a"));
  const auto got = receiver_->received();
  ASSERT_EQ(got.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].header("x-webhook-attempt"), std::to_string(i + 1));
    EXPECT_EQ(got[i].header("webhook-id"), got[0].header("webhook-id"));
    EXPECT_EQ(got[i].body, got[0].body);
  }
  for (const auto& c : verify_with_npm(got, hook.secret))
    EXPECT_TRUE(c.standardwebhooks) << c.error;
  EXPECT_TRUE(wait_for_rows("SELECT status, attempt_count FROM deliveries", {"succeeded|3|"}));
  EXPECT_EQ(database_rows(server_->database_url(),
                          "SELECT attempt, status_code, CASE WHEN error IS NULL THEN 0 ELSE 1 END,"
                          " response_body FROM attempts ORDER BY attempt"),
            (std::vector<std::string>{"1|500|1|failing on purpose|", "2|500|1|failing on purpose|",
                                      "3|200|0|ok|"}));
}

TEST_F(DeliveryTest, ADeliveryThatExhaustsItsScheduleEndsFailed) {
  create_hook("/status/500/always");
  ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
  // Three delays: four attempts in all.
  ASSERT_TRUE(receiver_->wait_for(4, "/status/500"));
  EXPECT_TRUE(wait_for_rows("SELECT status, attempt_count, last_status_code FROM deliveries",
                            {"failed|4|500|"}));
}

TEST_F(DeliveryTest, GoneDisablesTheWebhook) {
  const auto hook = create_hook("/status/410/gone");
  ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
  ASSERT_TRUE(receiver_->wait_for(1, "/status/410"));
  ASSERT_TRUE(wait_for_rows("SELECT status FROM webhooks", {"disabled|"}));
  auto w = client_->get("/v2/webhooks/" + std::to_string(hook.id), admin6_);
  EXPECT_EQ(w.json().at("status"), "disabled");
  EXPECT_NE(std::string(w.json().at("disabledReason").as_string()).find("410"), std::string::npos);
  // Later events are kept as skipped deliveries, not sent.
  auto later = post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})");
  ASSERT_EQ(later.status, 202);
  EXPECT_TRUE(wait_for_rows("SELECT status FROM deliveries ORDER BY id", {"failed|", "skipped|"}));
  EXPECT_EQ(receiver_->received().size(), 1u);
}

TEST_F(DeliveryTest, ARedirectIsAFailureAndItsTargetGetsNothing) {
  create_hook("/status/302/moved");
  ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
  ASSERT_TRUE(receiver_->wait_for(4, "/status/302"));
  EXPECT_TRUE(wait_for_rows("SELECT status FROM deliveries", {"failed|"}));
  for (const auto& r : receiver_->received()) EXPECT_EQ(r.path, "/status/302/moved");
  const auto errors = database_rows(server_->database_url(), "SELECT DISTINCT error FROM attempts");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("redirect"), std::string::npos) << errors[0];
}

TEST_F(DeliveryTest, RetryAfterIsHonoured) {
  create_hook("/retry-after/1/1/a");
  ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
  ASSERT_TRUE(receiver_->wait_for(2, "/retry-after"));
  const auto got = receiver_->received();
  // The schedule says 100 ms and the receiver asked for 1 s: Retry-After is honoured up to
  // twice the scheduled delay, so the second attempt comes after 200 ms, not 100 ms.
  EXPECT_GE(got[1].received_at_ms - got[0].received_at_ms, 190.0);
}

TEST_F(DeliveryTest, AHungReceiverTimesOutAndIsRetried) {
  create_hook("/hang/forever");
  ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
  ASSERT_TRUE(receiver_->wait_for(2, "/hang", std::chrono::seconds(30)));
  const auto errors =
      database_rows(server_->database_url(), "SELECT error FROM attempts WHERE attempt = 1");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("timeout", 0), 0u) << errors[0];
}

TEST_F(DeliveryTest, OnlyTheSubscribedTopicsAreDelivered) {
  create_hook("/ok/tamper-only", R"("deviceIds":[85])", R"(["DeviceTamperEvents"])");
  auto status = post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})");
  EXPECT_EQ(status.json().at("events").at(0).at("deliveries"), 0);
  auto tamper = post_events(R"({"deviceId":85,"topic":"DeviceTamperEvents"})");
  EXPECT_EQ(tamper.json().at("events").at(0).at("deliveries"), 1);
  ASSERT_TRUE(receiver_->wait_for(1, "/ok/tamper-only"));
  EXPECT_EQ(receiver_->received().at(0).header("x-webhook-topic"), "DeviceTamperEvents");
}

TEST_F(DeliveryTest, ADeviceInBothDeviceIdsAndAGroupGetsOneDelivery) {
  create_hook("/ok/both", R"("deviceIds":[85],"deviceGroupIds":[600])");
  auto r = post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})");
  EXPECT_EQ(r.json().at("events").at(0).at("deliveries"), 1);
  ASSERT_TRUE(receiver_->wait_for(1, "/ok/both"));
  EXPECT_TRUE(wait_for_rows("SELECT count(*) FROM deliveries", {"1|"}));
}

TEST_F(DeliveryTest, AnOrganizationWideWebhookCoversEveryDeviceOfItsOrganizationOnly) {
  create_hook("/ok/org-wide", "");
  auto r = post_events(R"({"events":[{"deviceId":85,"topic":"DeviceStatusEvents"},
                                     {"deviceId":87,"topic":"DeviceStatusEvents"},
                                     {"deviceId":89,"topic":"DeviceStatusEvents"}]})");
  ASSERT_EQ(r.status, 202) << r;
  const boost::json::value json = r.json();
  const auto& events = json.at("events").as_array();
  EXPECT_EQ(events.at(0).at("deliveries"), 1);
  EXPECT_EQ(events.at(1).at("deliveries"), 1);
  EXPECT_EQ(events.at(2).at("deliveries"), 0);  // device 89 is organization 7's
  ASSERT_TRUE(receiver_->wait_for(2, "/ok/org-wide"));
  // A device registered later is covered too.
  put_device(88, 6);
  auto later = post_events(R"({"deviceId":88,"topic":"DeviceStatusEvents"})");
  EXPECT_EQ(later.json().at("events").at(0).at("deliveries"), 1);
}

TEST_F(DeliveryTest, ADeviceAddedToAGroupStartsReceiving) {
  create_hook("/ok/group", R"("deviceGroupIds":[600])");
  auto before = post_events(R"({"deviceId":87,"topic":"DeviceStatusEvents"})");
  EXPECT_EQ(before.json().at("events").at(0).at("deliveries"), 0);
  ASSERT_EQ(client_
                ->put("/v2/platform/device-groups/600",
                      R"({"organizationId":6,"name":"front doors","deviceIds":[85,86,87]})",
                      platform_token_)
                .status,
            200);
  auto after = post_events(R"({"deviceId":87,"topic":"DeviceStatusEvents"})");
  EXPECT_EQ(after.json().at("events").at(0).at("deliveries"), 1);
  ASSERT_TRUE(receiver_->wait_for(1, "/ok/group"));
}

TEST_F(DeliveryTest, ARepeatedProducerIdIsDeliveredOnce) {
  create_hook("/ok/dedup");
  const std::string body = R"({"deviceId":85,"topic":"DeviceStatusEvents","id":"producer-42"})";
  auto first = post_events(body);
  auto second = post_events(body);
  ASSERT_EQ(second.status, 202) << second;
  EXPECT_EQ(second.json().at("events").at(0).at("duplicate"), true);
  EXPECT_EQ(second.json().at("events").at(0).at("deliveries"), 0);
  EXPECT_EQ(second.json().at("events").at(0).at("id"), first.json().at("events").at(0).at("id"));
  ASSERT_TRUE(receiver_->wait_for(1, "/ok/dedup"));
  EXPECT_TRUE(wait_for_rows("SELECT count(*) FROM deliveries", {"1|"}));
}

TEST_F(DeliveryTest, AnInvalidEventRejectsTheWholeBatchAndStoresNothing) {
  create_hook("/ok/batch");
  const std::string before = database_snapshot(server_->database_url());
  auto unknown_device = post_events(R"({"events":[{"deviceId":85,"topic":"DeviceStatusEvents"},
                                                  {"deviceId":999,"topic":"DeviceStatusEvents"}]})");
  EXPECT_EQ(unknown_device.status, 404) << unknown_device;
  EXPECT_EQ(unknown_device.json().at("code"), "DeviceNotFound");
  auto bad_topic = post_events(R"({"events":[{"deviceId":85,"topic":"DeviceStatusEvents"},
                                             {"deviceId":85,"topic":"DeviceExplodedEvents"}]})");
  EXPECT_EQ(bad_topic.status, 400) << bad_topic;
  EXPECT_EQ(bad_topic.json().at("code"), "UnsupportedTopic");
  for (const std::string& body :
       {std::string("[]"), std::string(R"({"events":[]})"), std::string(R"({"deviceId":"85"})"),
        std::string(R"({"deviceId":85,"topic":"DeviceStatusEvents","time":"yesterday"})"),
        std::string(R"({"deviceId":85,"topic":"DeviceStatusEvents","data":[1]})"),
        std::string(R"({"deviceId":85,"topic":"DeviceStatusEvents","id":")") +
            std::string(65, 'x') + "\"}"}) {
    auto r = post_events(body);
    EXPECT_EQ(r.status, 400) << body << "\n" << r;
    EXPECT_EQ(r.json().at("code"), "InvalidRequestBody") << body;
  }
  std::string too_many = R"({"events":[)";
  for (int i = 0; i < 1001; ++i)
    too_many += std::string(i ? "," : "") + R"({"deviceId":85,"topic":"DeviceStatusEvents"})";
  EXPECT_EQ(post_events(too_many + "]}").status, 400);
  EXPECT_EQ(database_snapshot(server_->database_url()), before);
  EXPECT_EQ(receiver_->received().size(), 0u);
}

TEST_F(DeliveryTest, OnlyThePlatformIngestsEvents) {
  auto r = client_->post("/v2/platform/events", R"({"deviceId":85,"topic":"DeviceStatusEvents"})",
                         admin6_);
  EXPECT_EQ(r.status, 403) << r;
}

}  // namespace
}  // namespace hookd::testing
