// How deliveries travel: connections kept alive and reused, HTTP/2 where the receiver offers it
// (issue 3, item 3).
#include <set>

#include "delivery_fixture.hpp"

namespace hookd::testing {
namespace {

std::string status_event(int n) {
  return R"({"deviceId":85,"topic":"DeviceStatusEvents","time":"2026-11-29T06:00:00Z","data":{"n":)" +
         std::to_string(n) + "}}";
}

TEST_F(DeliveryTest, DeliveriesOneAfterAnotherReuseOneKeptAliveConnection) {
  create_hook("/ok/kept-alive");
  // Each event is posted once the previous delivery is recorded, so that its connection is
  // free again; a connection still busy would rightly make another one open.
  for (int i = 1; i <= 5; ++i) {
    ASSERT_EQ(post_events(status_event(i)).status, 202);
    ASSERT_TRUE(wait_for_rows("SELECT count(*) FROM deliveries WHERE status = 'succeeded'",
                              {std::to_string(i) + "|"}));
  }
  // The first goes through libcurl, which learns that the receiver speaks HTTP/1.1; the others
  // travel on the HTTP/1.1 transport, all four on one connection.
  const auto got = receiver_->received();
  ASSERT_EQ(got.size(), 5u);
  std::set<int> connections;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].http_version, "1.1");
    if (i > 0) connections.insert(got[i].client_port);
  }
  EXPECT_EQ(connections.size(), 1u) << receiver_->log();
  EXPECT_FALSE(connections.contains(got[0].client_port)) << receiver_->log();
}

// Once a receiver has answered over HTTP/1.1, its deliveries travel on the HTTP/1.1 transport;
// every delivery rule holds there as it does through libcurl.
TEST_F(DeliveryTest, AReceiverKnownToSpeakHttp1KeepsEveryDeliveryRule) {
  const auto first = create_hook("/ok/first");
  ASSERT_EQ(post_events(status_event(0)).status, 202);
  ASSERT_TRUE(wait_for_rows("SELECT count(*) FROM deliveries WHERE status = 'succeeded'", {"1|"}));
  ASSERT_EQ(client_->del("/v2/webhooks/" + std::to_string(first.id), admin6_).status, 204);

  const auto failing = create_hook("/fail/2/warm");
  create_hook("/status/302/warm");
  create_hook("/status/410/warm");
  create_hook("/retry-after/1/1/warm");
  create_hook("/hang/warm");
  ASSERT_EQ(post_events(status_event(1)).status, 202);

  ASSERT_TRUE(receiver_->wait_for(3, "/fail/2/warm"));
  ASSERT_TRUE(receiver_->wait_for(4, "/status/302/warm"));
  ASSERT_TRUE(receiver_->wait_for(2, "/retry-after/1/1/warm"));
  ASSERT_TRUE(receiver_->wait_for(2, "/hang/warm", std::chrono::seconds(30)));
  std::vector<ReceivedRequest> fail, retry_after;
  for (const auto& r : receiver_->received()) {
    EXPECT_NE(r.path, "/ok/redirected");
    if (r.path == "/fail/2/warm") fail.push_back(r);
    if (r.path == "/retry-after/1/1/warm") retry_after.push_back(r);
  }
  for (const auto& c : verify_with_npm(fail, failing.secret)) {
    EXPECT_TRUE(c.standardwebhooks) << c.error;
    EXPECT_TRUE(c.svix) << c.error;
  }
  EXPECT_GE(retry_after[1].received_at_ms - retry_after[0].received_at_ms, 190.0);
  EXPECT_TRUE(
      wait_for_rows("SELECT w.status, d.status FROM deliveries d JOIN webhooks w ON"
                    " w.id = d.webhook_id WHERE d.id > 1 AND w.url LIKE"
                    " '%/status/410/%'",
                    {"disabled|failed|"}));
  EXPECT_TRUE(
      wait_for_rows("SELECT status, attempt_count FROM deliveries WHERE webhook_id ="
                    " " +
                        std::to_string(failing.id),
                    {"succeeded|3|"}));
  const auto first_errors = database_rows(
      server_->database_url(),
      "SELECT CASE WHEN w.url LIKE '%/hang/%' THEN 'hang' ELSE '302' END,"
      " CASE WHEN a.error LIKE 'redirect: %' THEN 'redirect' WHEN a.error LIKE 'timeout: %'"
      " THEN 'timeout' ELSE a.error END FROM attempts a JOIN deliveries d"
      " ON d.id = a.delivery_id JOIN webhooks w ON w.id = d.webhook_id WHERE a.attempt = 1"
      " AND (w.url LIKE '%/status/302/%' OR w.url LIKE '%/hang/%') ORDER BY w.id");
  EXPECT_EQ(first_errors, (std::vector<std::string>{"302|redirect|", "hang|timeout|"}));
}

TEST_F(DeliveryTest, AReceiverThatOffersHttp2GetsItsDeliveriesOverHttp2) {
  WebhookReceiver h2(certs_, WebhookReceiver::Protocols::kHttp2AndHttp1);
  const std::string secret = create_hook_on(h2, "/ok/h2").secret;

  // One at a time first (the connection is then known to speak HTTP/2), then a batch of 20
  // that travels multiplexed.
  ASSERT_EQ(post_events(status_event(0)).status, 202);
  ASSERT_TRUE(wait_for_rows("SELECT count(*) FROM deliveries WHERE status = 'succeeded'", {"1|"}));
  std::string batch = R"({"events":[)";
  for (int i = 1; i <= 20; ++i) batch += (i > 1 ? "," : "") + status_event(i);
  ASSERT_EQ(post_events(batch + "]}").status, 202);
  ASSERT_TRUE(h2.wait_for(21, "/ok/h2")) << h2.log();

  const auto got = h2.received();
  std::set<int> connections;
  for (const auto& request : got) {
    EXPECT_EQ(request.http_version, "2.0");
    connections.insert(request.client_port);
  }
  EXPECT_EQ(connections.size(), 1u) << h2.log();
  // Signed as over HTTP/1.1: the unmodified libraries verify every one.
  for (const auto& check : verify_with_npm(got, secret)) {
    EXPECT_TRUE(check.standardwebhooks) << check.error;
    EXPECT_TRUE(check.svix) << check.error;
  }
  EXPECT_TRUE(wait_for_rows("SELECT count(*) FROM deliveries WHERE status = 'succeeded'", {"21|"}));
}

}  // namespace
}  // namespace hookd::testing
