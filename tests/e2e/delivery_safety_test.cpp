// Delivery under adversity: refused destinations, bad certificates, and a server killed while
// events flow (a hung receiver beside a healthy one: fairness_test.cpp).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "delivery_fixture.hpp"

namespace hookd::testing {
namespace {

// No allow_targets: the guard's defaults, as in production.
class GuardedDeliveryTest : public DeliveryTest {
 protected:
  HookdOptions server_options() override {
    HookdOptions o;
    o.config_toml = "[delivery]\n" + delivery_toml() + "ca_file = \"" + certs_.ca_cert + "\"\n";
    return o;
  }
};

TEST_F(GuardedDeliveryTest, AHostNameThatResolvesToLoopbackIsRefusedWhenDelivering) {
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  const auto resolved = run_command({"getent", "ahosts", host});
  if (resolved.exit_code != 0 || resolved.out.rfind("127.", 0) != 0) {
    GTEST_SKIP() << "this machine's name (" << host << ") does not resolve to 127.x";
  }
  // Host names are not resolved at creation, only when delivering.
  const std::string url =
      "https://" + std::string(host) + ":" + std::to_string(receiver_->port()) + "/ok/rebind";
  auto r = client_->post("/v2/webhooks",
                         R"({"organizationId":6,"deviceIds":[85],"webhookUrl":")" + url +
                             R"(","topics":["DeviceStatusEvents"]})",
                         admin6_);
  ASSERT_EQ(r.status, 200) << r;
  ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
  ASSERT_TRUE(wait_for_rows("SELECT status FROM deliveries", {"failed|"}));
  for (const auto& error : database_rows(server_->database_url(), "SELECT error FROM attempts")) {
    EXPECT_EQ(error.rfind("forbidden_destination", 0), 0u) << error;
  }
  EXPECT_TRUE(receiver_->received().empty());
}

// A webhook on `receiver` fails every attempt with a TLS error, and nothing reaches it.
class TlsFailureTest : public DeliveryTest {
 protected:
  void expect_tls_failure(WebhookReceiver& receiver) {
    auto r = client_->post("/v2/webhooks",
                           R"({"organizationId":6,"deviceIds":[85],"webhookUrl":")" +
                               receiver.url("/ok/tls") + R"(","topics":["DeviceStatusEvents"]})",
                           admin6_);
    ASSERT_EQ(r.status, 200) << r;
    ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
    ASSERT_TRUE(wait_for_rows("SELECT status FROM deliveries", {"failed|"}));
    for (const auto& error : database_rows(server_->database_url(), "SELECT error FROM attempts")) {
      EXPECT_EQ(error.rfind("tls", 0), 0u) << error;
    }
    EXPECT_TRUE(receiver.received().empty());
  }
};

TEST_F(TlsFailureTest, AnUnknownCertificateAuthorityFails) {
  TempDir other_dir;
  const TestCertificates other = make_test_certificates(other_dir.path());
  WebhookReceiver stranger(other);
  expect_tls_failure(stranger);
}

TEST_F(TlsFailureTest, ACertificateForAnotherHostFails) {
  TempDir other_dir;
  // Signed by the trusted test CA, but for another name than the 127.0.0.1 hookd connects to.
  WebhookReceiver impostor(make_server_certificate(other_dir.path(), certs_, {"elsewhere.test"}));
  expect_tls_failure(impostor);
}

// The control for the two tests around it: a certificate made the same way, valid and for the
// right address, is accepted.
TEST_F(TlsFailureTest, AValidCertificateFromTheSameCaIsAccepted) {
  TempDir other_dir;
  WebhookReceiver good(make_server_certificate(other_dir.path(), certs_, {"127.0.0.1"}));
  auto r = client_->post("/v2/webhooks",
                         R"({"organizationId":6,"deviceIds":[86],"webhookUrl":")" +
                             good.url("/ok/valid") + R"(","topics":["DeviceStatusEvents"]})",
                         admin6_);
  ASSERT_EQ(r.status, 200) << r;
  ASSERT_EQ(post_events(R"({"deviceId":86,"topic":"DeviceStatusEvents"})").status, 202);
  EXPECT_TRUE(good.wait_for(1, "/ok/valid"));
}

TEST_F(TlsFailureTest, AnExpiredCertificateFails) {
  TempDir other_dir;
  WebhookReceiver expired(make_server_certificate(other_dir.path(), certs_, {"127.0.0.1"}, true));
  expect_tls_failure(expired);
}

TEST_F(DeliveryTest, EveryAcceptedEventArrivesAfterTheServerIsKilled) {
  create_hook("/ok/crash");
  std::mutex mutex;
  std::set<std::string> accepted;
  std::atomic<bool> stop{false};
  auto produce = [&](std::string base_url) {
    HttpClient producer(base_url);
    producer.set_timeout(std::chrono::seconds(5));
    while (!stop) {
      try {
        auto r = producer.post("/v2/platform/events",
                               R"({"deviceId":85,"topic":"DeviceStatusEvents"})", platform_token_);
        if (r.status != 202) continue;
        std::lock_guard lock(mutex);
        accepted.insert(std::string(r.json().at("events").at(0).at("id").as_string()));
      } catch (const std::exception&) {
        return;  // the server is gone
      }
    }
  };
  std::thread producer(produce, server_->base_url());
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < until) {
    std::lock_guard lock(mutex);
    if (accepted.size() >= 200) break;
  }
  server_->kill();
  producer.join();
  const size_t before_kill = accepted.size();
  ASSERT_GE(before_kill, 200u);

  server_->start();
  stop = false;
  std::thread after(produce, server_->base_url());
  while (true) {
    std::lock_guard lock(mutex);
    if (accepted.size() >= before_kill + 50) break;
  }
  stop = true;
  after.join();

  // Every event answered 202 reaches the receiver, before or after the crash.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::set<std::string> delivered;
  size_t received = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    delivered.clear();
    const auto all = receiver_->received();
    received = all.size();
    for (const auto& r : all) delivered.insert(r.header("webhook-id"));
    if (std::includes(delivered.begin(), delivered.end(), accepted.begin(), accepted.end())) break;
    receiver_->wait_for(received + 1, "/", std::chrono::milliseconds(500));
  }
  std::vector<std::string> missing;
  std::set_difference(accepted.begin(), accepted.end(), delivered.begin(), delivered.end(),
                      std::back_inserter(missing));
  std::printf(
      "accepted %zu events (%zu before kill -9), received %zu requests for %zu distinct "
      "events: %zu duplicates, %zu missing\n",
      accepted.size(), before_kill, received, delivered.size(), received - delivered.size(),
      missing.size());
  EXPECT_TRUE(missing.empty()) << missing.size() << " accepted events never arrived, e.g. "
                               << (missing.empty() ? "" : missing.front());
}

}  // namespace
}  // namespace hookd::testing
