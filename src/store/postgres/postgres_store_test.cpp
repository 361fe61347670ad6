// What the PostgreSQL store does beyond the contract every backend keeps
// (src/store/store_contract_test.cpp): several processes on one database, migrating and
// claiming at once, and a server that drops its connections. Each test runs in a database of
// its own on the server HOOKD_TEST_POSTGRES_URL names (any database on it), e.g.
// postgresql://hookd@127.0.0.1:55432/postgres, and is skipped without it. Time is injected.
#include "store/postgres/postgres_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "store/postgres/claim_statements.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/migrations.hpp"
#include "store/store_scenario.hpp"
#include "support/postgres_test_database.hpp"

namespace hookd::store::postgres {
namespace {

using namespace std::chrono_literals;
using domain::DeliveryStatus;
using domain::Topic;
using hookd::testing::PostgresTestDatabase;

class PostgresStoreTest : public ::testing::Test, public test_support::StoreScenario {
 protected:
  void SetUp() override {
    if (!hookd::testing::test_postgres_server_url()) {
      GTEST_SKIP() << "HOOKD_TEST_POSTGRES_URL is not set";
    }
    database_ = std::make_unique<PostgresTestDatabase>();
    url_ = database_->url();
    admin_ = std::make_unique<Connection>(database_->server_url(), ConnectionOptions{});
    store_ = open();
    store_->migrate();

    put_tenants();
  }

  void TearDown() override {
    store_.reset();
    admin_.reset();
    database_.reset();  // dropped with any connection a failed test left open
  }

  std::unique_ptr<PostgresStore> open() {
    return test_support::with_test_key_ring(std::make_unique<PostgresStore>(url_, clock_));
  }

  Store& subject() override { return *store_; }

  std::unique_ptr<PostgresTestDatabase> database_;
  std::string url_;
  std::unique_ptr<Connection> admin_;  // to the server's maintenance database
  std::unique_ptr<PostgresStore> store_;
};

TEST_F(PostgresStoreTest, MigratingAgainChangesNothing) {
  store_->migrate();
  open()->migrate();  // a second process starting on the same database
  Connection c(url_, {});
  Result r = c.exec("SELECT count(*), max(version) FROM schema_migrations");
  EXPECT_EQ(r.get_int(0, 0), static_cast<int64_t>(migrations().size()));
  EXPECT_EQ(r.get_int(0, 1), migrations().back().version);
  EXPECT_TRUE(store_->ping());
}

TEST_F(PostgresStoreTest, SeveralProcessesMigrateAtOnce) {
  const PostgresTestDatabase empty;
  const std::string& url = empty.url();
  std::vector<std::thread> threads;
  std::atomic<int> failures = 0;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      try {
        PostgresStore(url, clock_).migrate();
      } catch (const StoreError&) {
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  {
    Connection c(url, {});
    EXPECT_EQ(c.exec("SELECT count(*) FROM schema_migrations").get_int(0, 0),
              static_cast<int64_t>(migrations().size()));
  }
}

TEST_F(PostgresStoreTest, TwoProcessesClaimingAtOnceNeverShareADelivery) {
  for (domain::DeviceId d = 1000; d < 1020; ++d) store_->put_device({d, 6, "lock"});
  create(webhook());  // organization-wide: every event
  const TimePoint t0 = clock_.now();
  constexpr int kEvents = 400;
  std::vector<domain::Event> events;
  for (int i = 0; i < kEvents; ++i) {
    events.push_back(event(1000 + i % 20, Topic::kDeviceStatus, t0));
  }
  ingest(events, t0);

  auto worker = [&](const std::string& owner, std::vector<domain::DeliveryId>& got) {
    PostgresStore own(url_, clock_);  // a process of its own: its own pool
    own.use_key_ring(test_support::test_key_ring());
    for (;;) {
      const auto claimed = own.claim_due(owner, t0, t0 + 30s, 7, 1000, {});
      if (claimed.empty()) break;
      for (const auto& d : claimed) got.push_back(d.id);
    }
  };
  std::vector<domain::DeliveryId> a;
  std::vector<domain::DeliveryId> b;
  std::vector<domain::DeliveryId> c;
  std::thread ta(worker, "a", std::ref(a));
  std::thread tb(worker, "b", std::ref(b));
  std::thread tc(worker, "c", std::ref(c));
  ta.join();
  tb.join();
  tc.join();
  std::set<domain::DeliveryId> all;
  for (const auto* ids : {&a, &b, &c}) all.insert(ids->begin(), ids->end());
  EXPECT_EQ(a.size() + b.size() + c.size(), static_cast<size_t>(kEvents));
  EXPECT_EQ(all.size(), static_cast<size_t>(kEvents));  // no delivery claimed twice
}

// Two processes given the same producer ids at once store each event once: the second to
// claim an id answers with the first's event, and makes no delivery.
TEST_F(PostgresStoreTest, TwoProcessesIngestingTheSameProducerIdsStoreEachOnce) {
  create(webhook());  // organization-wide: one delivery per event stored
  const TimePoint t0 = clock_.now();
  constexpr int kRounds = 5;
  constexpr int kEvents = 200;
  for (int round = 0; round < kRounds; ++round) {
    IngestRequest requests[2];
    for (IngestRequest& request : requests) {
      for (int i = 0; i < kEvents; ++i) {
        // The two processes' events come in different orders.
        const int n = &request == &requests[0] ? i : kEvents - 1 - i;
        request.events.push_back(event(85 + n % 3, Topic::kDeviceStatus, t0,
                                       "r" + std::to_string(round) + "-" + std::to_string(n)));
      }
    }
    std::vector<IngestOutcome> outcomes[2];
    std::latch opened(2);
    auto process = [&](int p) {
      auto own = open();
      opened.arrive_and_wait();  // both commits at once
      outcomes[p] = own->ingest({&requests[p]}, t0);
    };
    std::thread a(process, 0);
    std::thread b(process, 1);
    a.join();
    b.join();
    ASSERT_EQ(outcomes[0].at(0).events.size(), static_cast<size_t>(kEvents));
    ASSERT_EQ(outcomes[1].at(0).events.size(), static_cast<size_t>(kEvents));
    for (int i = 0; i < kEvents; ++i) {
      const IngestedEvent& first = outcomes[0][0].events[i];
      const IngestedEvent& second = outcomes[1][0].events[kEvents - 1 - i];  // the same id
      ASSERT_NE(first.duplicate, second.duplicate) << "round " << round << ", event " << i;
      EXPECT_EQ(first.id, second.id);
      EXPECT_EQ(first.deliveries + second.deliveries, 1);
    }
  }
  Connection c(url_, {});
  EXPECT_EQ(c.exec("SELECT count(*) FROM events").get_int(0, 0), kRounds * kEvents);
  EXPECT_EQ(store_->queue_stats().pending, kRounds * kEvents);
}

TEST_F(PostgresStoreTest, AConnectionTheServerDroppedIsReplaced) {
  create(webhook());
  ASSERT_TRUE(store_->ping());
  // What a server restart does to the pool: every connection to the database is closed.
  Result killed = admin_->exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
      " WHERE datname = $1 AND pid <> pg_backend_pid()",
      Params().add(database_->name()));
  ASSERT_GT(killed.rows(), 0);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (admin_->exec("SELECT 1 FROM pg_stat_activity WHERE datname = $1",
                      Params().add(database_->name()))
                 .rows() > 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  // At most the call that finds the connection dead fails; the next one reconnects.
  bool ok = false;
  for (int i = 0; i < 3 && !ok; ++i) {
    try {
      ok = store_->list_webhooks({}).size() == 1;
    } catch (const StoreError&) {
    }
  }
  EXPECT_TRUE(ok);
  EXPECT_TRUE(store_->ping());
}

TEST_F(PostgresStoreTest, ReleasingAllLeasesLeavesOtherProcessesLeasesAlone) {
  create(webhook());
  const TimePoint t0 = clock_.now();
  ingest_and_claim(t0);
  store_->release_all_leases();
  EXPECT_TRUE(store_->claim_due("other", t0 + 1s, t0 + 31s, 10, 16, {}).empty());
}

// Workers of other processes hear at once of work made due: an ingestion, a retry, a
// recovery and a test event through one store each wake the listener of another.
TEST_F(PostgresStoreTest, AnotherProcessHearsOfNewWorkAtOnce) {
  std::mutex m;
  std::condition_variable heard;
  int calls = 0;
  auto worker = open();
  auto watch = worker->watch_new_work([&] {
    std::lock_guard lock(m);
    ++calls;
    heard.notify_all();
  });
  ASSERT_NE(watch, nullptr);
  const auto wait_for_call = [&](int n) {
    std::unique_lock lock(m);
    return heard.wait_for(lock, 10s, [&] { return calls >= n; });
  };
  const auto w = create(webhook({85}));
  const TimePoint t0 = clock_.now();
  ASSERT_EQ(ingest({event(85, Topic::kDeviceStatus, t0)}, t0).events.at(0).deliveries, 1);
  ASSERT_TRUE(wait_for_call(1));

  auto claimed = store_->claim_due("test", t0, t0 + 30s, 10, 16, {});
  ASSERT_EQ(claimed.size(), 1u);
  finish(claimed.at(0), DeliveryStatus::kFailed, t0);
  EXPECT_TRUE(store_->retry_delivery(w, claimed.at(0).id, t0));
  ASSERT_TRUE(wait_for_call(2));
  claimed = store_->claim_due("test", t0, t0 + 30s, 10, 16, {});
  ASSERT_EQ(claimed.size(), 1u);
  finish(claimed.at(0), DeliveryStatus::kFailed, t0, 2);
  EXPECT_EQ(store_->recover_deliveries(w, t0, t0), 1);
  ASSERT_TRUE(wait_for_call(3));

  domain::Event e = event(85, Topic::kDeviceStatus, t0);
  EXPECT_TRUE(store_->queue_test_event(w, e, t0));
  ASSERT_TRUE(wait_for_call(4));
}

// A commit answered 202 must be flushed; a session that has synchronous_commit off would
// answer before it is.
// The head of the claim walks deliveries_due in order and stops at its limit, whatever the
// statistics say. Here they were gathered when every delivery had succeeded, as autovacuum
// leaves them before a burst: the planner then believes almost nothing is pending, and left to
// itself reads every due row through a bitmap and sorts them all (seen in bench runs, where
// that made the claim cost as much as the backlog was long).
TEST_F(PostgresStoreTest, TheHeadOfAClaimWalksTheDueQueueInOrderWhateverTheStatistics) {
  create(webhook());  // organization-wide: every event
  const TimePoint t0 = clock_.now();
  const auto ingest_many = [&](int n) {
    for (int batch = 0; batch < n / 500; ++batch) {
      std::vector<domain::Event> events;
      for (int i = 0; i < 500; ++i) events.push_back(event(85, Topic::kDeviceStatus, t0));
      ingest(events, t0);
    }
  };
  ingest_many(1000);
  Connection db(url_, ConnectionOptions{});
  db.exec_script(
      "UPDATE deliveries SET status = 'succeeded', next_attempt_at = NULL; ANALYZE deliveries");
  ingest_many(20000);

  std::string plan;
  {
    Transaction tx(db, kHeadTransaction);
    db.exec_script((std::string("PREPARE head AS ") + kLockHead).c_str());
    Result r = db.exec(("EXPLAIN EXECUTE head(" + std::to_string(to_unix_micros(t0)) + ", " +
                        std::to_string(128 + kHeadBudget) + ")")
                           .c_str());
    for (int i = 0; i < r.rows(); ++i) plan += r.get_text(i, 0) + "\n";
    db.exec_script("DEALLOCATE head");  // a prepared statement outlives its transaction
  }
  EXPECT_NE(plan.find("Index Scan using deliveries_due"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("Bitmap"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("deliveries_pending_by_webhook"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("Sort"), std::string::npos) << plan;
}

TEST_F(PostgresStoreTest, RefusesToStartWithSynchronousCommitOff) {
  const std::string sep = url_.find('?') == std::string::npos ? "?" : "&";
  EXPECT_THROW(PostgresStore(url_ + sep + "options=-c%20synchronous_commit%3Doff", clock_),
               StoreError);
  EXPECT_NO_THROW(PostgresStore(url_ + sep + "options=-c%20synchronous_commit%3Dlocal", clock_));
}

}  // namespace
}  // namespace hookd::store::postgres
