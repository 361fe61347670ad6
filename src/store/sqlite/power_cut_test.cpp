// A 202 survives a power cut: events are ingested through the real ingestor and SQLite store
// on a VFS that keeps unsynced writes in memory (tests/support/power_cut_vfs.hpp); power is
// cut at a random moment while requests are in flight, and the database, reopened on the
// plain VFS, must hold every event that was answered, with its deliveries, deliverable.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "ingest/ingestor.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store_scenario.hpp"
#include "support/power_cut_vfs.hpp"
#include "support/temp_dir.hpp"

namespace hookd::store::sqlite {
namespace {

using namespace std::chrono_literals;
using domain::Topic;

constexpr int kProducers = 4;

// Events answered 202, by id, with the deliveries the answer reported.
struct Answered {
  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::string, int64_t> deliveries;
};

class PowerCutTest : public ::testing::Test, public test_support::StoreScenario {
 protected:
  Store& subject() override { return *store_; }

  // Ingests from several producers until `answers_before_cut` requests were answered, cuts
  // the power, and returns what was answered. The store syncs answered commits when
  // `sync_commits` (the product's default).
  std::map<std::string, int64_t> ingest_until_cut(bool sync_commits, uint32_t seed) {
    std::mt19937 rng(seed);
    const size_t answers_before_cut = std::uniform_int_distribution<size_t>(5, 120)(rng);
    path_ = dir_.file("store-" + std::to_string(seed) + ".db");
    hookd::testing::PowerCutVfs vfs;
    StoreOptions options;
    options.sqlite_sync_commits = sync_commits;
    store_ =
        test_support::with_test_key_ring(std::make_unique<SqliteStore>(path_, clock_, 8, options));
    store_->migrate();
    put_tenants();
    create(webhook());  // organization 6, every device
    create(webhook({85}, {}, {Topic::kDeviceStatus, Topic::kDeviceTamper}));
    create(webhook({}, {1}, {Topic::kDeviceStatus}));    // group 1: devices 85, 86
    create(webhook({}, {}, {Topic::kDeviceStatus}, 7));  // organization 7
    store_->prepare_ingestion();

    Answered answered;
    size_t requests_answered = 0;
    std::atomic<bool> stop{false};
    {
      ingest::Ingestor ingestor(*store_, clock_, nullptr);
      std::vector<std::thread> producers;
      for (int p = 0; p < kProducers; ++p) {
        producers.emplace_back([&, p] {
          std::mt19937 local(seed * 31 + static_cast<uint32_t>(p));
          const domain::DeviceId devices[] = {85, 86, 87, 90};
          for (int n = 0; !stop.load(); ++n) {
            IngestRequest request;
            const int events = std::uniform_int_distribution<int>(1, 6)(local);
            for (int i = 0; i < events; ++i) {
              request.events.push_back(event(
                  devices[local() % 4], local() % 2 ? Topic::kDeviceStatus : Topic::kDeviceTamper,
                  clock_.now(),
                  "p" + std::to_string(p) + "-" + std::to_string(n) + "-" + std::to_string(i)));
            }
            std::promise<void> finished;
            ingestor.submit(std::move(request),
                            [&](const IngestOutcome* outcome, const char* error) {
                              if (!error && outcome->ok) {
                                std::lock_guard lock(answered.mutex);
                                for (const IngestedEvent& e : outcome->events) {
                                  answered.deliveries[e.id] = e.deliveries;
                                }
                                ++requests_answered;
                                answered.changed.notify_all();
                              }
                              finished.set_value();
                            });
            finished.get_future().wait();
          }
        });
      }
      {
        std::unique_lock lock(answered.mutex);
        const bool reached = answered.changed.wait_for(
            lock, 60s, [&] { return requests_answered >= answers_before_cut; });
        EXPECT_TRUE(reached) << "only " << requests_answered << " requests answered";
      }
      // Inside one of the next commits (or checkpoints), while the producers keep sending.
      vfs.cut_at_write(std::uniform_int_distribution<size_t>(1, 40)(rng));
      EXPECT_TRUE(vfs.wait_for_cut(60s));
      stop = true;
      for (std::thread& t : producers) t.join();
      ingestor.stop();  // what it still commits fails: the disk is gone
    }
    store_.reset();
    std::lock_guard lock(answered.mutex);
    RecordProperty("answered_events_seed_" + std::to_string(seed),
                   static_cast<int>(answered.deliveries.size()));
    RecordProperty("writes_lost_at_cut_seed_" + std::to_string(seed),
                   static_cast<int>(vfs.discarded_writes()));
    return answered.deliveries;
  }

  // Events stored under `id`, read from the file without the store.
  int64_t stored_events(const std::string& id) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, "unix"), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM events WHERE id = ?1", -1, &s, nullptr) ==
        SQLITE_OK) {
      sqlite3_bind_text(s, 1, id.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
  }

  // After the cut: the database as a restarted process finds it.
  void expect_every_answer_survived(const std::map<std::string, int64_t>& answered) {
    ASSERT_FALSE(answered.empty());
    store_ = test_support::with_test_key_ring(std::make_unique<SqliteStore>(path_, clock_));
    store_->migrate();
    std::map<std::string, int64_t> deliverable;
    for (const ClaimedDelivery& d : store_->claim_due(
             "restarted", clock_.now() + 1s, clock_.now() + 60s, 1'000'000, 1'000'000, {})) {
      ++deliverable[d.event.id];
    }
    size_t lost = 0;
    for (const auto& [id, deliveries] : answered) {
      const int64_t stored = stored_events(id);
      const auto it = deliverable.find(id);
      const int64_t can_send = it == deliverable.end() ? 0 : it->second;
      if (stored != 1 || can_send != deliveries) ++lost;
      EXPECT_EQ(stored, 1) << "answered event " << id << " is gone";
      EXPECT_EQ(can_send, deliveries) << "deliveries of answered event " << id;
    }
    EXPECT_EQ(lost, 0u) << "of " << answered.size() << " answered events";
  }

  void TearDown() override { store_.reset(); }

  hookd::testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(PowerCutTest, EveryAnsweredEventSurvivesAPowerCut) {
  for (uint32_t seed : {1u, 2u, 3u, 5u, 6u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const auto answered = ingest_until_cut(true, seed);
    expect_every_answer_survived(answered);
  }
}

// The test above would see a commit that is not synced: with syncing left to checkpoints,
// answered events are lost at the cut. One cut can land just after a checkpoint synced the
// WAL and lose nothing, so the control cuts at several moments and needs a loss at one.
TEST_F(PowerCutTest, WithoutSyncedCommitsAnsweredEventsAreLost) {
  size_t lost = 0;
  for (uint32_t seed : {4u, 7u, 8u, 9u, 10u, 11u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const auto answered = ingest_until_cut(false, seed);
    ASSERT_FALSE(answered.empty());
    store_ = test_support::with_test_key_ring(std::make_unique<SqliteStore>(path_, clock_));
    store_->migrate();
    for (const auto& [id, deliveries] : answered) lost += stored_events(id) == 1 ? 0 : 1;
    store_.reset();
    if (lost > 0) break;
  }
  EXPECT_GT(lost, 0u);
}

}  // namespace
}  // namespace hookd::store::sqlite
