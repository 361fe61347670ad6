// The ingestor's group commits against a real SQLite store: a request larger than one commit's
// delivery bound is committed in parts and answered whole, and a small request that arrives
// beside it is answered after one commit, not after all its parts; the new deliveries are
// handed to the process's dispatcher only after the requests of their commit are answered.
#include "ingest/ingestor.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "store/delivery_queue.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store_scenario.hpp"
#include "support/temp_dir.hpp"

namespace hookd::ingest {
namespace {

using namespace std::chrono_literals;
using domain::Topic;

class IngestorTest : public ::testing::Test, public store::test_support::StoreScenario {
 protected:
  void SetUp() override {
    store_ = store::test_support::with_test_key_ring(
        std::make_unique<store::sqlite::SqliteStore>(dir_.file("store.db"), clock_));
    store_->migrate();
    put_tenants();
    for (int i = 0; i < 3; ++i) create(webhook({85}));  // 3 deliveries per event of device 85
  }
  store::Store& subject() override { return *store_; }

  // The ingestor's commits, counted; the first one waits until the test lets it go on, so
  // that what the test submits meanwhile is queued together.
  void after_commit() {
    std::unique_lock lock(mutex_);
    ++commits_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return released_; });
  }

  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

  hookd::testing::TempDir dir_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int commits_ = 0;
  bool released_ = false;
};

TEST_F(IngestorTest, ALargeRequestIsCommittedInPartsAndASmallOneBesideItIsNotHeld) {
  constexpr size_t kBound = 3;  // delivery rows per commit: one event of device 85
  Ingestor ingestor(
      *store_, clock_, [this] { after_commit(); }, nullptr, 256, 10'000, kBound);
  auto request = [&](domain::DeviceId device, int events) {
    store::IngestRequest r;
    for (int i = 0; i < events; ++i)
      r.events.push_back(event(device, Topic::kDeviceStatus, clock_.now()));
    return r;
  };
  int small_at = 0, large_at = 0;
  store::IngestOutcome large_outcome;
  ingestor.submit(request(90, 1), [](const store::IngestOutcome*, const char*) {});
  {
    std::unique_lock lock(mutex_);
    ASSERT_TRUE(changed_.wait_for(lock, 10s, [&] { return commits_ == 1; }));
  }
  // Both wait in the queue for the same commit; the large one was sent first.
  ingestor.submit(request(85, 20), [&](const store::IngestOutcome* o, const char* error) {
    ASSERT_EQ(error, nullptr);
    std::lock_guard lock(mutex_);
    large_outcome = *o;
    large_at = commits_;
    changed_.notify_all();
  });
  ingestor.submit(request(90, 1), [&](const store::IngestOutcome* o, const char* error) {
    ASSERT_EQ(error, nullptr);
    EXPECT_EQ(o->events.size(), 1u);
    std::lock_guard lock(mutex_);
    small_at = commits_;
    changed_.notify_all();
  });
  release();
  {
    std::unique_lock lock(mutex_);
    ASSERT_TRUE(changed_.wait_for(lock, 30s, [&] { return small_at > 0 && large_at > 0; }));
  }
  // The done callbacks run before after_commit counts their commit.
  EXPECT_EQ(small_at, 1) << "the small request waited for " << small_at << " more commits";
  EXPECT_EQ(large_at, 1 + 20 - 1);  // one part per event, the last one before its count
  ASSERT_EQ(large_outcome.events.size(), 20u);
  for (const store::IngestedEvent& e : large_outcome.events) EXPECT_EQ(e.deliveries, 3);
  EXPECT_EQ(store_->queue_stats().pending, 60);
}

// A dispatcher's side of the hand-off, with a slot for everything; it notes whether the
// requests of a commit were answered by the time their deliveries reach it.
class RecordingRoom final : public store::HandOffRoom {
 public:
  const std::string& owner() const override { return owner_; }
  std::chrono::milliseconds lease() const override { return 30s; }
  std::vector<bool> take_slots(const std::vector<domain::WebhookId>& webhooks) override {
    return std::vector<bool>(webhooks.size(), true);
  }
  void give_back(const std::vector<domain::WebhookId>& webhooks) override {
    std::lock_guard lock(mutex_);
    given_back_ += webhooks.size();
  }
  void hand_off(std::vector<store::ClaimedDelivery> deliveries, TimePoint,
                bool left_pending) override {
    std::lock_guard lock(mutex_);
    handed_off_ += deliveries.size();
    answered_before_hand_off_ = answered_;
    left_pending_ = left_pending;
    changed_.notify_all();
  }
  void answered() {
    std::lock_guard lock(mutex_);
    answered_ = true;
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  size_t handed_off_ = 0;
  size_t given_back_ = 0;
  bool answered_ = false;
  bool answered_before_hand_off_ = false;
  bool left_pending_ = true;

 private:
  const std::string owner_ = "ingestor-test";
};

TEST_F(IngestorTest, ACommitsDeliveriesAreHandedOffOnlyAfterItsRequestsAreAnswered) {
  RecordingRoom room;
  Ingestor ingestor(*store_, clock_, nullptr, &room);
  store::IngestRequest request;
  request.events.push_back(event(85, Topic::kDeviceStatus, clock_.now()));
  ingestor.submit(std::move(request), [&](const store::IngestOutcome* o, const char* error) {
    ASSERT_EQ(error, nullptr);
    EXPECT_EQ(o->events.at(0).deliveries, 3);
    room.answered();
  });
  {
    std::unique_lock lock(room.mutex_);
    ASSERT_TRUE(room.changed_.wait_for(lock, 10s, [&] { return room.handed_off_ > 0; }));
    EXPECT_TRUE(room.answered_before_hand_off_)
        << "the answer waited for the dispatcher to take up the new work";
    EXPECT_EQ(room.handed_off_, 3u);
    EXPECT_EQ(room.given_back_, 0u);
    EXPECT_FALSE(room.left_pending_);
  }
  // Stored leased to the room's owner: no claim finds them while the lease runs.
  EXPECT_TRUE(
      store_->claim_due("another-process", clock_.now(), clock_.now() + 30s, 10, 10, {}).empty());
  EXPECT_EQ(store_->queue_stats().pending, 3);
}

}  // namespace
}  // namespace hookd::ingest
