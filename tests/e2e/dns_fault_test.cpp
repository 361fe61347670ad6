// Name resolution under faults (issue 11, item 1): webhooks whose names a resolver never answers
// beside a healthy one, with hookd's resolver pointed at a stub DNS server.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <regex>

#include "delivery_fixture.hpp"
#include "support/stub_dns_server.hpp"
#include "support/test_database.hpp"

namespace hookd::testing {
namespace {

constexpr const char* kHealthyHost = "healthy.hooks.test";

double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class DnsFaultTest : public DeliveryTest {
 protected:
  std::string delivery_toml() const override {
    return "retry_schedule = [\"200ms\", \"200ms\", \"200ms\"]\n"
           "timeout = \"3s\"\n"
           "connect_timeout = \"3s\"\n"
           "dns_timeout = \"" +
           dns_timeout() + "\"\n" + "dns_servers = [\"" + dns_.address() + "\"]\n";
  }

  virtual std::string dns_timeout() const { return "1s"; }

  void SetUp() override {
    // The receiver's certificate also names the host the stub resolves to it.
    certs_ = make_test_certificates(certs_dir_.path(), {"localhost", "127.0.0.1", kHealthyHost});
    receiver_ = std::make_unique<WebhookReceiver>(certs_);
    dns_.answer(kHealthyHost, {"127.0.0.1"});
    ApiTest::SetUp();
  }

  int64_t create_hook_at(const std::string& host, const std::string& path) {
    const std::string url = "https://" + host + ":" + std::to_string(receiver_->port()) + path;
    auto r = client_->post("/v2/webhooks",
                           R"({"organizationId":6,"deviceIds":[85],"webhookUrl":")" + url +
                               R"(","topics":["DeviceStatusEvents"]})",
                           admin6_);
    EXPECT_EQ(r.status, 200) << r;
    return r.status == 200 ? r.json().at("id").as_int64() : 0;
  }

  std::string attempts_text() {
    std::string text = "attempts:";
    for (const std::string& row : database_rows(
             server_->database_url(),
             "SELECT webhooks.url, attempts.attempt, attempts.duration_ms, attempts.error"
             " FROM attempts JOIN deliveries ON deliveries.id = attempts.delivery_id"
             " JOIN webhooks ON webhooks.id = deliveries.webhook_id ORDER BY attempts.id")) {
      text += "\n  " + row;
    }
    return text;
  }

  StubDnsServer dns_;
};

// A lookup that gives up after 3 s: a dispatcher that waited on one would deliver the healthy
// webhook's event at least that late, twice the bound below, which leaves a slow machine (or
// the sanitizer build) room.
class DnsHungNamesTest : public DnsFaultTest {
 protected:
  std::string dns_timeout() const override { return "3s"; }
};

TEST_F(DnsHungNamesTest, NamesThatNeverResolveDoNotDelayAHealthyWebhook) {
  // The slow webhooks come first, so that their deliveries are claimed before the healthy one's:
  // a resolver that blocked the dispatcher would hold the healthy delivery behind all three.
  for (int i = 0; i < 3; ++i) {
    const std::string host = "slow" + std::to_string(i) + ".hooks.test";
    dns_.never_answer(host);
    create_hook_at(host, "/ok/slow" + std::to_string(i));
  }
  create_hook_at(kHealthyHost, "/ok/healthy");

  // Events flow, one after another, for longer than a lookup (3 s) and a failed name's stay in
  // the cache (5 s): the slow names are looked up again while healthy events flow.
  const auto flow_start = std::chrono::steady_clock::now();
  const auto flow_until = flow_start + std::chrono::seconds(11);
  constexpr size_t kMaxEvents = 2000;
  std::map<std::string, double> sent;
  std::optional<size_t> first_lookups;  // queries for a slow name once its first lookup ended
  while (std::chrono::steady_clock::now() < flow_until && sent.size() < kMaxEvents) {
    if (!first_lookups && std::chrono::steady_clock::now() > flow_start + std::chrono::seconds(4)) {
      first_lookups = dns_.queries("slow0.hooks.test");
    }
    const double t = now_ms();
    auto r = post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})");
    ASSERT_EQ(r.status, 202) << r;
    sent[std::string(r.json().at("events").at(0).at("id").as_string())] = t;
    ASSERT_TRUE(receiver_->wait_for(sent.size(), "/ok/healthy", std::chrono::seconds(10)))
        << attempts_text();
    // The next event waits until the slow webhooks' first attempts at this one have failed,
    // which is at once while their failure is cached and a whole dns_timeout when it is not.
    ASSERT_TRUE(wait_for_rows(
        "SELECT COUNT(*) FROM attempts JOIN deliveries ON deliveries.id = attempts.delivery_id"
        " JOIN webhooks ON webhooks.id = deliveries.webhook_id"
        " WHERE webhooks.url LIKE '%slow%' AND attempts.attempt = 1",
        {std::to_string(3 * sent.size()) + "|"}, std::chrono::seconds(10)))
        << attempts_text();
  }
  ASSERT_GE(sent.size(), 5u);
  double worst = 0;
  for (const auto& got : receiver_->received()) {
    ASSERT_EQ(got.path, "/ok/healthy");
    const auto it = sent.find(got.header("webhook-id"));
    ASSERT_NE(it, sent.end());
    worst = std::max(worst, got.received_at_ms - it->second);
  }
  std::printf("healthy webhook beside three hung names: %zu events, slowest %.1f ms\n", sent.size(),
              worst);
  EXPECT_LT(worst, 1500.0) << sent.size() << " events\n" << attempts_text();
  EXPECT_GT(dns_.queries(kHealthyHost), 0u);

  // Every attempt to a slow webhook fails with error class dns, and is retried on the schedule.
  const std::string slow_sql =
      "SELECT attempts.attempt, attempts.error FROM attempts"
      " JOIN deliveries ON deliveries.id = attempts.delivery_id"
      " JOIN webhooks ON webhooks.id = deliveries.webhook_id WHERE webhooks.url LIKE '%slow%'";
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool retried = false;
  while (!retried && std::chrono::steady_clock::now() < until) {
    for (const std::string& row : database_rows(server_->database_url(), slow_sql)) {
      if (!row.starts_with("1|")) retried = true;
    }
    // Polling a database has nothing to wait on; a short pause keeps it from spinning.
    if (!retried) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(retried) << attempts_text();
  const auto slow = database_rows(server_->database_url(), slow_sql);
  ASSERT_FALSE(slow.empty());
  bool timed_out = false;
  for (const std::string& row : slow) {
    std::string error = row.substr(row.find('|') + 1);
    error.pop_back();  // each column ends with '|'
    EXPECT_EQ(error.rfind("dns: slow", 0), 0u) << row;
    if (error.find("did not resolve within 3s") != std::string::npos) timed_out = true;
  }
  EXPECT_TRUE(timed_out) << attempts_text();
  ASSERT_TRUE(first_lookups);
  EXPECT_GT(*first_lookups, 0u);
  EXPECT_GT(dns_.queries("slow0.hooks.test"), *first_lookups) << "looked up once only";

  // The healthy webhook's deliveries all succeeded at the first attempt.
  EXPECT_EQ(database_rows(server_->database_url(),
                          "SELECT COUNT(*) FROM deliveries JOIN webhooks ON webhooks.id ="
                          " deliveries.webhook_id WHERE webhooks.url LIKE '%healthy%'"
                          " AND deliveries.status = 'succeeded'"),
            std::vector<std::string>{std::to_string(sent.size()) + "|"});
}

TEST_F(DnsFaultTest, ANameThatDoesNotExistOrWhoseServerFailsIsADnsFailure) {
  dns_.servfail("broken.hooks.test");
  create_hook_at("missing.hooks.test", "/ok/missing");
  create_hook_at("broken.hooks.test", "/ok/broken");
  ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
  ASSERT_TRUE(wait_for_rows("SELECT status FROM deliveries", {"failed|", "failed|"}))
      << attempts_text();
  const auto errors = database_rows(server_->database_url(),
                                    "SELECT DISTINCT attempts.error FROM attempts"
                                    " ORDER BY attempts.error");
  ASSERT_EQ(errors.size(), 2u) << attempts_text();
  EXPECT_EQ(errors[0].rfind("dns: broken.hooks.test did not resolve: the name servers failed", 0),
            0u)
      << errors[0];
  EXPECT_EQ(errors[1].rfind("dns: missing.hooks.test does not resolve", 0), 0u) << errors[1];
  EXPECT_TRUE(receiver_->received().empty());
}

TEST_F(DnsFaultTest, ANameThatResolvesToAForbiddenAddressIsRefused) {
  dns_.answer("metadata.hooks.test", {"127.0.0.1", "169.254.169.254"});
  create_hook_at("metadata.hooks.test", "/ok/metadata");
  ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
  ASSERT_TRUE(wait_for_rows("SELECT status FROM deliveries", {"failed|"})) << attempts_text();
  for (const auto& error :
       database_rows(server_->database_url(), "SELECT DISTINCT error FROM attempts")) {
    EXPECT_EQ(error.rfind("forbidden_destination: metadata.hooks.test", 0), 0u) << error;
  }
  EXPECT_TRUE(receiver_->received().empty());
}

// A per-webhook cap of 2 attempts in flight.
class DnsCapTest : public DnsFaultTest {
 protected:
  std::string delivery_toml() const override {
    return DnsFaultTest::delivery_toml() + "max_in_flight_per_webhook = 2\n";
  }
};

TEST_F(DnsCapTest, AnAttemptBeingResolvedCountsAgainstItsWebhooksCap) {
  dns_.never_answer("slow.hooks.test");
  create_hook_at("slow.hooks.test", "/ok/slow");
  const auto posted = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
  }
  // Until the first lookup gives up (dns_timeout, 1 s), the claimed attempts wait on it: never
  // more than the cap of them in flight, though six are due.
  static const std::regex in_flight_sample(R"((^|\n)hookd_deliveries_in_flight ([0-9]+))");
  int most = 0;
  while (std::chrono::steady_clock::now() < posted + std::chrono::milliseconds(800)) {
    const auto metrics = client_->get("/metrics");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(metrics.body, m, in_flight_sample)) << metrics.body;
    most = std::max(most, std::stoi(m[2].str()));
    // Polling has nothing to wait on; a short pause keeps it from spinning.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(most, 2) << attempts_text();
  EXPECT_EQ(database_rows(server_->database_url(), "SELECT COUNT(*) FROM attempts"),
            std::vector<std::string>{"0|"});
}

TEST(DnsConfig, AMalformedNameServerIsRefusedAtStart) {
  TempDir dir;
  const TestDatabase database;
  const std::string config = dir.file("bad.toml");
  { std::ofstream(config) << "[delivery]\ndns_servers = [\"dns.example:53\"]\n"; }
  auto r = run_hookd(
      {"serve", "--listen", "127.0.0.1:0", "--config", config, "--database", database.url()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("dns_servers"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace hookd::testing
