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
  // free again; a connection still busy would rightly make libcurl open another.
  for (int i = 1; i <= 5; ++i) {
    ASSERT_EQ(post_events(status_event(i)).status, 202);
    ASSERT_TRUE(wait_for_rows("SELECT count(*) FROM deliveries WHERE status = 'succeeded'",
                              {std::to_string(i) + "|"}));
  }
  std::set<int> connections;
  for (const auto& r : receiver_->received()) {
    EXPECT_EQ(r.http_version, "1.1");
    connections.insert(r.client_port);
  }
  EXPECT_EQ(connections.size(), 1u) << receiver_->log();
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
