// The retention purger's own thread against a real SQLite store: it purges without being
// asked, an interval after it starts, and stop() does not wait for the next interval.
#include "delivery/retention.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "store/sqlite/sqlite_store.hpp"
#include "store/store_scenario.hpp"
#include "support/temp_dir.hpp"

namespace hookd::delivery {
namespace {

using namespace std::chrono_literals;
using domain::DeliveryStatus;

class RetentionPurgerTest : public ::testing::Test, public store::test_support::StoreScenario {
 protected:
  void SetUp() override {
    store_ = store::test_support::with_test_key_ring(
        std::make_unique<store::sqlite::SqliteStore>(dir_.file("store.db"), clock_));
    store_->migrate();
    put_tenants();
    hook_ = create(webhook());
  }
  store::Store& subject() override { return *store_; }

  bool kept(domain::DeliveryId id) { return store_->find_delivery(hook_, id).has_value(); }

  hookd::testing::TempDir dir_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  domain::WebhookId hook_ = 0;
};

TEST_F(RetentionPurgerTest, PurgesOnItsOwnAnIntervalAfterItStartsAndStopsWithoutWaiting) {
  const TimePoint t0 = clock_.now();
  const auto old = ingest_and_claim(t0);
  finish(old, DeliveryStatus::kSucceeded, t0 + 1s);
  const auto pending = ingest_and_claim(t0 + 2s);
  finish(pending, DeliveryStatus::kPending, t0 + 3s);
  // Ten seconds' retention, seen a minute later: a pass every second (the shortest interval).
  clock_.set(t0 + 60s);

  const auto started = std::chrono::steady_clock::now();
  RetentionPurger purger(*store_, clock_, 10s);
  EXPECT_TRUE(kept(old.id)) << "purged before its first interval";
  const auto until = started + 10s;
  while (kept(old.id) && std::chrono::steady_clock::now() < until) {
    // A database has nothing to wait on; a short pause keeps the poll from spinning.
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_FALSE(kept(old.id)) << "not purged within 10 s";
  EXPECT_GE(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_TRUE(kept(pending.id));  // pending is never lost

  // The next pass is a second away; stop() does not wait for it.
  const auto stopping = std::chrono::steady_clock::now();
  purger.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, 500ms);
}

}  // namespace
}  // namespace hookd::delivery
