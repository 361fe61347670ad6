// Many hookd processes on one PostgreSQL, and the things that go wrong there: a worker killed
// with kill -9, the database restarted under them, the database down while events arrive.
// Each test owns its PostgreSQL server (tests/support/postgres_cluster.hpp). Built as
// hookd_scale_out_tests, which ctest runs alone (tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <condition_variable>
#include <cstdio>
#include <iterator>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/hookd_process.hpp"
#include "support/http_client.hpp"
#include "support/postgres_cluster.hpp"
#include "support/temp_dir.hpp"
#include "support/test_ca.hpp"
#include "support/webhook_receiver.hpp"

namespace hookd::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The receiver's path of the one webhook: 200 after 50 ms.
constexpr const char* kPath = "/slow/50/scale-out";

// Posts batches of events to POST /v2/platform/events from its own thread, one request after
// the other, and keeps what every answer said: the ids of the events answered 202, how many
// requests were answered 503, and anything else.
class EventProducer {
 public:
  struct Counts {
    size_t accepted_events = 0;
    size_t accepted_requests = 0;
    size_t unavailable_requests = 0;  // 503
    size_t other_answers = 0;         // any other status
    size_t no_answer = 0;             // refused, reset or timed out
  };

  // Sends `limit` events (0: until stop()) in batches of `batch_size`.
  EventProducer(std::string base_url, std::string token, size_t batch_size, size_t limit)
      : base_url_(std::move(base_url)),
        token_(std::move(token)),
        batch_size_(batch_size),
        limit_(limit) {
    thread_ = std::thread([this] { run(); });
  }
  ~EventProducer() { stop(); }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

  // Waits until at least `n` events were answered 202, or the producer finished, or the
  // deadline: whether `n` were.
  bool wait_accepted(size_t n, std::chrono::milliseconds deadline) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, deadline, [&] { return accepted_.size() >= n || finished_; });
    return accepted_.size() >= n;
  }
  bool wait_finished(std::chrono::milliseconds deadline) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, deadline, [&] { return finished_; });
  }

  std::set<std::string> accepted() const {
    std::lock_guard lock(mutex_);
    return accepted_;
  }
  Counts counts() const {
    std::lock_guard lock(mutex_);
    Counts c = counts_;
    c.accepted_events = accepted_.size();
    return c;
  }
  std::string last_unexpected() const {
    std::lock_guard lock(mutex_);
    return last_unexpected_;
  }

 private:
  std::string batch_body(size_t first) const {
    std::string body = R"({"events":[)";
    for (size_t i = 0; i < batch_size_; ++i) {
      if (i > 0) body += ',';
      body += R"({"deviceId":85,"topic":"DeviceStatusEvents","data":{"n":)" +
              std::to_string(first + i) + "}}";
    }
    return body + "]}";
  }

  void run() {
    HttpClient client(base_url_);
    client.set_timeout(15s);
    for (size_t sent = 0; limit_ == 0 || sent < limit_; sent += batch_size_) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) break;
      }
      HttpResponse r;
      std::string error;
      try {
        r = client.post("/v2/platform/events", batch_body(sent), token_);
      } catch (const std::exception& e) {
        error = e.what();
      }
      std::lock_guard lock(mutex_);
      if (!error.empty()) {
        ++counts_.no_answer;
        last_unexpected_ = error;
      } else if (r.status == 202) {
        ++counts_.accepted_requests;
        const boost::json::value answer = r.json();
        for (const auto& event : answer.at("events").as_array()) {
          accepted_.insert(std::string(event.at("id").as_string()));
        }
      } else if (r.status == 503) {
        ++counts_.unavailable_requests;
      } else {
        ++counts_.other_answers;
        last_unexpected_ = std::to_string(r.status) + " " + r.body;
      }
      changed_.notify_all();
    }
    std::lock_guard lock(mutex_);
    finished_ = true;
    changed_.notify_all();
  }

  const std::string base_url_;
  const std::string token_;
  const size_t batch_size_;
  const size_t limit_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::set<std::string> accepted_;
  Counts counts_;
  std::string last_unexpected_;
  bool stopping_ = false;
  bool finished_ = false;
  std::thread thread_;
};

struct Delivered {
  size_t requests = 0;
  std::set<std::string> distinct;  // webhook-id headers
  std::vector<std::string> missing;

  size_t duplicates() const { return requests - distinct.size(); }
};

// Waits until every accepted event has reached the receiver at least once (one webhook, so a
// webhook-id names one event), or the deadline.
Delivered wait_delivered(WebhookReceiver& receiver, const std::set<std::string>& accepted,
                         std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  Delivered d;
  // Fewer requests than events cannot be enough: wait for that many first, which costs one
  // pass over the receiver's log rather than one per look.
  receiver.wait_for(accepted.size(), "/", deadline);
  while (true) {
    const auto all = receiver.received();
    d.requests = all.size();
    d.distinct.clear();
    for (const auto& r : all) d.distinct.insert(r.header("webhook-id"));
    d.missing.clear();
    std::set_difference(accepted.begin(), accepted.end(), d.distinct.begin(), d.distinct.end(),
                        std::back_inserter(d.missing));
    if (d.missing.empty() || Clock::now() >= until) return d;
    receiver.wait_for(d.requests + 1, "/",
                      std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::min<Clock::duration>(until - Clock::now(), 1s)));
  }
}

// One PostgreSQL database, an HTTPS receiver that hookd trusts, a `--role api` hookd, and
// organization 6 with device 85 and one webhook for it on the receiver's /slow/50/scale-out: each
// answer takes 50 ms, so that a worker always has attempts on the wire while events flow (with
// instant answers a worker's claims last a millisecond, and a kill -9 finds none).
// Workers are started by the tests.
class ScaleOutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PostgresCluster::installed())
        << "the PostgreSQL server is not installed (scripts/bootstrap.sh installs it)";
    postgres_ = std::make_unique<PostgresCluster>();
    postgres_->create_database("hookd");
    certs_ = make_test_certificates(certs_dir_.path());
    receiver_ = std::make_unique<WebhookReceiver>(certs_);
    api_ = std::make_unique<HookdServer>(options("api"));
    client_ = std::make_unique<HttpClient>(api_->base_url());
    platform_token_ = api_->create_token("platform");
    expect_status(
        client_->put("/v2/platform/organizations/6", R"({"name":"org 6"})", platform_token_), 200);
    expect_status(client_->put("/v2/platform/devices/85", R"({"organizationId":6,"name":"lock"})",
                               platform_token_),
                  200);
    const std::string admin = api_->create_token("admin", 6);
    expect_status(client_->post("/v2/webhooks",
                                R"({"organizationId":6,"deviceIds":[85],"webhookUrl":")" +
                                    receiver_->url(kPath) + R"(","topics":["DeviceStatusEvents"]})",
                                admin),
                  200);
  }

  void TearDown() override {
    if (HasFailure() && postgres_) {
      std::string log = postgres_->log();
      if (log.size() > 16'384) log = "[...]" + log.substr(log.size() - 16'384);
      std::fprintf(stderr, "---- PostgreSQL log ----\n%s---- end of PostgreSQL log ----\n",
                   log.c_str());
    }
  }

  // A short lease, so that a killed worker's claims pass to the other within seconds; a
  // retry schedule long enough to ride out a database restart.
  HookdOptions options(const std::string& role) const {
    HookdOptions o;
    o.database_url = postgres_->url("hookd");
    o.extra_args = {"--role", role};
    o.expect_listening = role != "worker";
    o.config_toml =
        "[delivery]\n"
        "retry_schedule = [\"200ms\", \"500ms\", \"1s\", \"2s\", \"5s\", \"10s\"]\n"
        "timeout = \"3s\"\n"
        "connect_timeout = \"1s\"\n"
        "lease = \"8s\"\n"
        "allow_targets = [\"127.0.0.0/8\"]\n"
        "ca_file = \"" +
        certs_.ca_cert + "\"\n";
    return o;
  }

  // A `--role worker` hookd, once it logged that it works.
  std::unique_ptr<HookdServer> start_worker() {
    auto worker = std::make_unique<HookdServer>(options("worker"));
    wait_working(*worker);
    return worker;
  }

  // Waits for the "working" log line of the worker's current process (each start() has a new
  // one): the name its leases carry, or "" (and a failure) when it does not come.
  static std::string wait_working(HookdServer& worker) {
    std::string owner;
    const bool working = worker.process().wait_for_stderr_line(
        [&](std::string_view line) {
          if (line.find("\"msg\":\"working\"") == line.npos) return false;
          boost::system::error_code ec;
          const auto log = boost::json::parse(line, ec);
          if (ec || !log.is_object() || !log.as_object().contains("lease_owner")) return false;
          owner = std::string(log.at("lease_owner").as_string());
          return true;
        },
        20s);
    EXPECT_TRUE(working) << worker.process().stderr_text();
    return owner;
  }

  // Deliveries waiting on the wire or for their record under `owner`'s lease.
  size_t leased_by(const std::string& owner) const {
    return std::stoul(postgres_
                          ->rows("hookd",
                                 "SELECT count(*) FROM deliveries WHERE status = 'pending'"
                                 " AND lease_owner = '" +
                                     owner + "'")
                          .at(0));
  }

  static void expect_status(const HttpResponse& r, long status) {
    ASSERT_EQ(r.status, status) << r;
  }

  size_t stored_events() const {
    return std::stoul(postgres_->rows("hookd", "SELECT count(*) FROM events").at(0));
  }

  std::unique_ptr<PostgresCluster> postgres_;
  TempDir certs_dir_;
  TestCertificates certs_;
  std::unique_ptr<WebhookReceiver> receiver_;
  std::unique_ptr<HookdServer> api_;
  std::unique_ptr<HttpClient> client_;
  std::string platform_token_;
};

TEST_F(ScaleOutTest, EveryAcceptedEventArrivesWhenAWorkerIsKilledAndStartedAgain) {
  constexpr size_t kEvents = 10'000;
  constexpr size_t kBatch = 50;
  auto first = std::make_unique<HookdServer>(options("worker"));
  const std::string first_owner = wait_working(*first);
  auto second = start_worker();

  const auto began = Clock::now();
  EventProducer producer(api_->base_url(), platform_token_, kBatch, kEvents);
  // kill -9 a third of the way through the ingestion, at a moment the worker holds claims.
  ASSERT_TRUE(producer.wait_accepted(kEvents / 3, 120s)) << producer.last_unexpected();
  const auto until = Clock::now() + 60s;
  while (leased_by(first_owner) < 10 && Clock::now() < until) {
    // A query is all there is to wait on; a short pause keeps the loop from spinning.
    std::this_thread::sleep_for(5ms);
  }
  const int status = first->kill();
  EXPECT_EQ(status, 128 + 9);
  const size_t accepted_at_kill = producer.counts().accepted_events;
  const size_t received_at_kill = receiver_->received().size();
  // Exact: a dead process changes nothing, and its leases outlive it by the lease length.
  const size_t orphaned = leased_by(first_owner);
  EXPECT_GT(orphaned, 0u) << "the killed worker held no claims: the test proves nothing";

  // Started again two thirds of the way through.
  ASSERT_TRUE(producer.wait_accepted(2 * kEvents / 3, 120s)) << producer.last_unexpected();
  first->start();
  wait_working(*first);
  ASSERT_TRUE(producer.wait_finished(120s));
  const auto ingested = Clock::now() - began;
  const auto counts = producer.counts();
  EXPECT_EQ(counts.accepted_events, kEvents) << producer.last_unexpected();

  const auto accepted = producer.accepted();
  const Delivered d = wait_delivered(*receiver_, accepted, 180s);
  const auto delivered = Clock::now() - began;
  const double duplicate_share =
      100.0 * static_cast<double>(d.duplicates()) / static_cast<double>(accepted.size());
  std::printf(
      "1 api + 2 workers on PostgreSQL: %zu events answered 202 (%zu 503s, %zu other answers); "
      "kill -9 of a worker holding %zu claims after %zu accepted and %zu received; "
      "received %zu requests for %zu distinct events: %zu duplicates (%.2f %%), %zu missing; "
      "ingested in %.1f s, all delivered after %.1f s\n",
      accepted.size(), counts.unavailable_requests, counts.other_answers + counts.no_answer,
      orphaned, accepted_at_kill, received_at_kill, d.requests, d.distinct.size(), d.duplicates(),
      duplicate_share, d.missing.size(), std::chrono::duration<double>(ingested).count(),
      std::chrono::duration<double>(delivered).count());
  EXPECT_TRUE(d.missing.empty()) << d.missing.size() << " accepted events never arrived, e.g. "
                                 << (d.missing.empty() ? "" : d.missing.front());
  EXPECT_LE(duplicate_share, 1.0);
  // Nothing was delivered that had not been accepted.
  EXPECT_TRUE(
      std::includes(accepted.begin(), accepted.end(), d.distinct.begin(), d.distinct.end()));
}

TEST_F(ScaleOutTest, EveryAcceptedEventArrivesAfterPostgresRestarts) {
  auto worker = start_worker();
  EventProducer producer(api_->base_url(), platform_token_, 20, 0);

  // A clean restart, then a crash, each while events flow: ingestion must come back by itself
  // within a bound after each, and go on.
  constexpr auto kRecoveryBound = 10s;
  std::string timings;
  for (const auto mode :
       {PostgresCluster::StopMode::kFast, PostgresCluster::StopMode::kImmediate}) {
    ASSERT_TRUE(producer.wait_accepted(producer.counts().accepted_events + 500, 60s))
        << producer.last_unexpected();
    const auto down = Clock::now();
    postgres_->restart(mode);
    const auto up = Clock::now();
    ASSERT_TRUE(producer.wait_accepted(producer.counts().accepted_events + 1, kRecoveryBound))
        << "ingestion did not recover after the restart: " << producer.last_unexpected();
    const auto recovered = Clock::now();
    auto ms = [](Clock::duration d) {
      return std::chrono::duration<double, std::milli>(d).count();
    };
    timings += std::string(timings.empty() ? "" : "; ") +
               (mode == PostgresCluster::StopMode::kFast ? "fast" : "immediate") +
               " restart took " + std::to_string(static_cast<int>(ms(up - down))) +
               " ms, the first 202 came " + std::to_string(static_cast<int>(ms(recovered - up))) +
               " ms after";
  }
  ASSERT_TRUE(producer.wait_accepted(producer.counts().accepted_events + 500, 60s))
      << producer.last_unexpected();
  producer.stop();
  EXPECT_TRUE(api_->running());
  EXPECT_TRUE(worker->running());

  const auto counts = producer.counts();
  const auto accepted = producer.accepted();
  const Delivered d = wait_delivered(*receiver_, accepted, 120s);
  std::printf(
      "PostgreSQL restarted twice (fast, immediate) under 1 api + 1 worker: %zu events "
      "answered 202 in %zu requests, %zu requests answered 503, %zu other answers; received "
      "%zu requests for %zu distinct events: %zu duplicates, %zu missing (%s)\n",
      accepted.size(), counts.accepted_requests, counts.unavailable_requests,
      counts.other_answers + counts.no_answer, d.requests, d.distinct.size(), d.duplicates(),
      d.missing.size(), timings.c_str());
  EXPECT_EQ(counts.other_answers + counts.no_answer, 0u) << producer.last_unexpected();
  EXPECT_TRUE(d.missing.empty()) << d.missing.size() << " accepted events never arrived, e.g. "
                                 << (d.missing.empty() ? "" : d.missing.front());
}

TEST_F(ScaleOutTest, IngestionAnswers503WhilePostgresIsDownAndAcceptsWhenItIsBack) {
  // The bound on a 503: the database refuses connections at once, so a few seconds is ample.
  constexpr auto kUnavailableBound = 3s;
  auto worker = start_worker();
  // One event through first: the whole path works, and the token is in the API's cache.
  auto warm_up = client_->post("/v2/platform/events",
                               R"({"deviceId":85,"topic":"DeviceStatusEvents"})", platform_token_);
  ASSERT_EQ(warm_up.status, 202) << warm_up;
  ASSERT_TRUE(receiver_->wait_for(1, kPath));
  ASSERT_EQ(client_->get("/readyz").status, 200);
  const size_t events_before = stored_events();

  postgres_->stop();
  const auto ready = client_->get("/readyz");
  EXPECT_EQ(ready.status, 503) << ready;
  const std::string body =
      R"({"id":"outage-1","deviceId":85,"topic":"DeviceStatusEvents","data":{"during":"outage"}})";
  const auto began = Clock::now();
  const auto refused = client_->post("/v2/platform/events", body, platform_token_);
  const auto took = Clock::now() - began;
  EXPECT_EQ(refused.status, 503) << refused;
  EXPECT_EQ(refused.json().at("errorCode").as_string(), "ServiceUnavailable");
  EXPECT_LT(took, kUnavailableBound);
  std::printf("with PostgreSQL down: POST /v2/platform/events answered %ld in %.0f ms\n",
              refused.status, std::chrono::duration<double, std::milli>(took).count());

  postgres_->start();
  EXPECT_EQ(stored_events(), events_before) << "a request answered 503 stored events";
  EXPECT_EQ(client_->get("/readyz").status, 200);
  // The same request, once the database is back: accepted, and delivered once.
  const auto accepted = client_->post("/v2/platform/events", body, platform_token_);
  ASSERT_EQ(accepted.status, 202) << accepted;
  const boost::json::value answer = accepted.json();
  const auto& event = answer.at("events").at(0);
  EXPECT_FALSE(event.at("duplicate").as_bool());
  const std::string id(event.at("id").as_string());
  ASSERT_TRUE(receiver_->wait_for(2, kPath, 30s)) << receiver_->log();
  const auto received = receiver_->received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received.back().header("webhook-id"), id);
  EXPECT_NE(received.back().body.find("outage"), std::string::npos);
  EXPECT_TRUE(api_->running());
  EXPECT_TRUE(worker->running());
}

}  // namespace
}  // namespace hookd::testing
