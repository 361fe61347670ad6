// What the SQLite store does beyond the contract every backend keeps
// (src/store/store_contract_test.cpp), against a real database file with time injected.
#include "store/sqlite/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/store_scenario.hpp"
#include "support/temp_dir.hpp"

namespace hookd::store::sqlite {
namespace {

using namespace std::chrono_literals;

using test_support::ManualClock;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = test_support::with_test_key_ring(
        std::make_unique<SqliteStore>(dir_.file("store.db"), clock_));
    store_->migrate();
    store_->put_organization({6, "org"});
    ASSERT_EQ(store_->put_device({85, 6, "lock"}).kind, PutOutcome::Kind::kOk);
    domain::Webhook w;
    w.organization_id = 6;
    w.url = "https://example.com/hook";
    w.topics.add(domain::Topic::kDeviceStatus);
    w.secret_hmac = "bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB";
    w.created_at = w.modified_at = clock_.now();
    store_->create_webhook(w);
  }

  // Ingests one event at `at`; returns its delivery after claiming it.
  ClaimedDelivery ingest_and_claim(TimePoint at) {
    clock_.set(at);
    IngestRequest request;
    domain::Event e;
    e.id = domain::new_event_id();
    e.device_id = 85;
    e.topic = domain::Topic::kDeviceStatus;
    e.time = at;
    request.events.push_back(e);
    const auto outcomes = store_->ingest({&request}, at);
    EXPECT_EQ(outcomes.at(0).events.at(0).deliveries, 1);
    auto claimed = store_->claim_due("test", at, at + 30s, 10, 16, {});
    EXPECT_EQ(claimed.size(), 1u);
    return claimed.at(0);
  }

  hookd::testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<SqliteStore> store_;
};

// One process owns a SQLite database: at its start, every lease is one its previous run left,
// and is freed at once instead of after the lease.
TEST_F(SqliteStoreTest, ReleasingAllLeasesFreesEveryLease) {
  const TimePoint t0 = clock_.now();
  const auto claimed = ingest_and_claim(t0);
  EXPECT_TRUE(store_->claim_due("restarted", t0 + 1s, t0 + 31s, 10, 16, {}).empty());
  store_->release_all_leases();
  const auto taken = store_->claim_due("restarted", t0 + 1s, t0 + 31s, 10, 16, {});
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].id, claimed.id);
}

// The WAL is copied back into the database from 1,000 pages on (by the checkpointer's thread)
// and at 4,000 at the latest (by the commit itself), then reused from its start, so it stays
// within that size however much is written.
TEST_F(SqliteStoreTest, TheWalStaysBoundedHoweverMuchIsWritten) {
  const std::string data = "{\"blob\":\"" + std::string(4000, 'x') + "\"}";
  const auto wal = std::filesystem::path(dir_.file("store.db-wal"));
  uintmax_t largest = 0;
  for (int commit = 0; commit < 100; ++commit) {  // about 100 x 100 x 4 KB = 40 MB
    IngestRequest request;
    for (int i = 0; i < 100; ++i) {
      domain::Event e;
      e.id = domain::new_event_id();
      e.device_id = 85;
      e.topic = domain::Topic::kDeviceStatus;
      e.time = clock_.now();
      e.data_json = data;
      request.events.push_back(e);
    }
    ASSERT_TRUE(store_->ingest({&request}, clock_.now()).at(0).ok);
    largest = std::max(largest, std::filesystem::file_size(wal));
  }
  EXPECT_LT(largest, 20u << 20) << "the WAL grew to " << largest << " bytes";
}

}  // namespace
}  // namespace hookd::store::sqlite
