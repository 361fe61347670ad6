// GET /metrics: Prometheus text whose counters match what happened.
#include <chrono>
#include <map>
#include <regex>
#include <thread>

#include "delivery_fixture.hpp"

namespace hookd::testing {
namespace {

// Parses the Prometheus text exposition format strictly enough to refuse a malformed line:
// every sample is `name{labels} value`, every comment `# HELP` or `# TYPE`.
std::map<std::string, double> parse_prometheus(const std::string& text) {
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*)?\})? ([-+0-9.eE]+|NaN|\+Inf|-Inf)$)");
  static const std::regex comment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$)");
  std::map<std::string, double> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    std::smatch m;
    if (line[0] == '#') {
      EXPECT_TRUE(std::regex_match(line, comment)) << "bad comment line: " << line;
      continue;
    }
    EXPECT_TRUE(std::regex_match(line, m, sample)) << "bad sample line: " << line;
    if (!m.empty()) out[m[1].str() + m[2].str()] = std::stod(m[5].str());
  }
  return out;
}

TEST_F(DeliveryTest, MetricsCountWhatHappened) {
  create_hook("/fail/1/metrics");
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents"})").status, 202);
  }
  // A duplicate is answered but not counted as ingested again.
  ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents","id":"m-1"})").status, 202);
  ASSERT_EQ(post_events(R"({"deviceId":85,"topic":"DeviceStatusEvents","id":"m-1"})").status, 202);
  ASSERT_TRUE(wait_for_rows("SELECT count(*) FROM deliveries WHERE status = 'succeeded'", {"4|"}));

  // The gauge of attempts in flight falls once their records are committed, a moment after the
  // rows above show them: the scrape is repeated until it has.
  HttpResponse r;
  std::map<std::string, double> m;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    r = client_->get("/metrics");
    ASSERT_EQ(r.status, 200) << r;
    m = parse_prometheus(r.body);
    if (m["hookd_deliveries_in_flight"] == 0) break;
    // An HTTP scrape has nothing to wait on; a short pause keeps it from spinning.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < until);
  EXPECT_EQ(r.header("Content-Type").value_or("").rfind("text/plain", 0), 0u);
  EXPECT_EQ(r.header("X-Frame-Options"), "SAMEORIGIN");  // the seed's headers, here too
  EXPECT_EQ(m["hookd_events_ingested_total"], 4);
  // The receiver failed the first request to its path once: five attempts, four successes.
  EXPECT_EQ(m["hookd_delivery_attempts_total{class=\"2xx\"}"], 4);
  EXPECT_EQ(m["hookd_delivery_attempts_total{class=\"5xx\"}"], 1);
  EXPECT_EQ(m["hookd_deliveries_total{outcome=\"succeeded\"}"], 4);
  EXPECT_EQ(m["hookd_deliveries_total{outcome=\"retried\"}"], 1);
  EXPECT_EQ(m["hookd_deliveries_total{outcome=\"failed\"}"], 0);
  EXPECT_EQ(m["hookd_delivery_latency_seconds_count"], 4);
  EXPECT_EQ(m["hookd_delivery_latency_seconds_bucket{le=\"+Inf\"}"], 4);
  EXPECT_EQ(m["hookd_delivery_attempt_duration_seconds_count"], 5);
  // Each event's delivery was handed to the dispatcher as it was stored; the retry was claimed.
  EXPECT_EQ(m["hookd_deliveries_taken_total{how=\"handed_off\"}"], 4);
  EXPECT_EQ(m["hookd_deliveries_taken_total{how=\"claimed\"}"], 1);
  EXPECT_EQ(m["hookd_deliveries_pending"], 0);
  EXPECT_EQ(m["hookd_deliveries_in_flight"], 0);
  EXPECT_GE(m["hookd_http_responses_total{class=\"2xx\"}"], 5);
  // Secrets and tokens never appear.
  EXPECT_EQ(r.body.find(platform_token_), std::string::npos);
  EXPECT_EQ(r.body.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace hookd::testing
