// The SQLite store against a real database file, with time injected.
#include "store/sqlite/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "delivery/retention.hpp"
#include "support/temp_dir.hpp"

namespace hookd::store::sqlite {
namespace {

using namespace std::chrono_literals;

class ManualClock final : public Clock {
 public:
  TimePoint now() const override { return now_; }
  void set(TimePoint t) { now_ = t; }

 private:
  TimePoint now_ = from_unix_micros(1'800'000'000'000'000);
};

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_unique<SqliteStore>(dir_.file("store.db"), clock_);
    store_->migrate();
    store_->put_organization({6, "org"});
    ASSERT_EQ(store_->put_device({85, 6, "lock"}).kind, PutOutcome::Kind::kOk);
    domain::Webhook w;
    w.organization_id = 6;
    w.url = "https://example.com/hook";
    w.topics.add(domain::Topic::kDeviceStatus);
    w.secret_hmac = "bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB";
    w.created_at = w.modified_at = clock_.now();
    webhook_ = store_->create_webhook(w).id;
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

  void finish(const ClaimedDelivery& d, domain::DeliveryStatus status, TimePoint at) {
    AttemptRecord r;
    r.delivery_id = d.id;
    r.webhook_id = d.webhook_id;
    r.attempt = 1;
    r.result.at = at;
    r.result.status_code = status == domain::DeliveryStatus::kSucceeded ? 200 : 500;
    r.new_status = status;
    if (status == domain::DeliveryStatus::kPending) r.next_attempt_at = at + 24h * 365;
    store_->record_attempts({r}, at, 24h * 365);
  }

  hookd::testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<SqliteStore> store_;
  domain::WebhookId webhook_ = 0;
};

TEST_F(SqliteStoreTest, APurgeRemovesExactlyWhatIsPastRetention) {
  const TimePoint t0 = clock_.now();
  const auto old_done = ingest_and_claim(t0);
  finish(old_done, domain::DeliveryStatus::kSucceeded, t0 + 1s);
  const auto old_pending = ingest_and_claim(t0 + 2s);
  finish(old_pending, domain::DeliveryStatus::kPending, t0 + 3s);  // still to be retried
  const auto recent = ingest_and_claim(t0 + 10 * 24h);
  finish(recent, domain::DeliveryStatus::kFailed, t0 + 10 * 24h + 1s);

  // Thirty days' retention, seen from day 35: day 0 is past it, day 10 is not.
  clock_.set(t0 + 35 * 24h);
  delivery::RetentionPurger purger(*store_, clock_, 30 * 24h, 1);
  const PurgeResult purged = purger.purge_once();
  EXPECT_EQ(purged.deliveries, 1);
  EXPECT_EQ(purged.events, 1);
  EXPECT_FALSE(store_->find_delivery(webhook_, old_done.id));
  ASSERT_TRUE(store_->find_delivery(webhook_, old_pending.id));  // pending is never lost
  const auto kept = store_->find_delivery(webhook_, recent.id);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->attempts.size(), 1u);
  // A second pass finds nothing more.
  EXPECT_EQ(purger.purge_once().total(), 0);
}

TEST_F(SqliteStoreTest, ALeaseKeepsADeliveryFromASecondWorkerUntilItRunsOut) {
  const TimePoint t0 = clock_.now();
  const auto claimed = ingest_and_claim(t0);
  EXPECT_TRUE(store_->claim_due("other", t0 + 29s, t0 + 59s, 10, 16, {}).empty());
  // The first worker died; after the lease, another takes the delivery over.
  const auto taken = store_->claim_due("other", t0 + 31s, t0 + 61s, 10, 16, {});
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].id, claimed.id);
}

TEST_F(SqliteStoreTest, TheCapPerWebhookLimitsAClaim) {
  const TimePoint t0 = clock_.now();
  IngestRequest request;
  for (int i = 0; i < 5; ++i) {
    domain::Event e;
    e.id = domain::new_event_id();
    e.device_id = 85;
    e.topic = domain::Topic::kDeviceStatus;
    e.time = t0;
    request.events.push_back(e);
  }
  store_->ingest({&request}, t0);
  // Two already in flight for this webhook, a cap of three: one more may go.
  const auto claimed = store_->claim_due("w", t0, t0 + 30s, 10, 3, {{webhook_, 2}});
  EXPECT_EQ(claimed.size(), 1u);
}

// A webhook whose deliveries all sit at device 86 besides the organization-wide `webhook_`.
domain::WebhookId add_webhook_for_device_86(SqliteStore& store, TimePoint now) {
  EXPECT_EQ(store.put_device({86, 6, "door"}).kind, PutOutcome::Kind::kOk);
  domain::Webhook w;
  w.organization_id = 6;
  w.device_ids = {86};
  w.url = "https://example.com/other";
  w.topics.add(domain::Topic::kDeviceStatus);
  w.secret_hmac = "bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB";
  w.created_at = w.modified_at = now;
  return store.create_webhook(w).id;
}

IngestRequest status_events(domain::DeviceId device, int n, TimePoint at) {
  IngestRequest request;
  for (int i = 0; i < n; ++i) {
    domain::Event e;
    e.id = domain::new_event_id();
    e.device_id = device;
    e.topic = domain::Topic::kDeviceStatus;
    e.time = at;
    request.events.push_back(e);
  }
  return request;
}

size_t count_for(const std::vector<ClaimedDelivery>& claimed, domain::WebhookId webhook) {
  return static_cast<size_t>(std::count_if(claimed.begin(), claimed.end(),
                                           [&](const auto& d) { return d.webhook_id == webhook; }));
}

TEST_F(SqliteStoreTest, AWebhookAtItsCapDoesNotHoldUpAnother) {
  const TimePoint t0 = clock_.now();
  const auto other = add_webhook_for_device_86(*store_, t0);
  // A long backlog for `webhook_` first, then newer deliveries for both.
  const auto backlog = status_events(85, 200, t0);
  const auto newer = status_events(86, 3, t0 + 1s);
  store_->ingest({&backlog}, t0);
  store_->ingest({&newer}, t0 + 1s);
  // `webhook_` at its cap: the claim goes past its backlog to the newer deliveries of `other`.
  const auto claimed = store_->claim_due("w", t0 + 2s, t0 + 32s, 10, 3, {{webhook_, 3}});
  EXPECT_EQ(claimed.size(), 3u);
  EXPECT_EQ(count_for(claimed, other), 3u);
  // With nothing in flight, the oldest first, each webhook within the cap.
  const auto both = store_->claim_due("w", t0 + 40s, t0 + 70s, 5, 3, {});
  EXPECT_EQ(count_for(both, webhook_), 3u);
  EXPECT_EQ(count_for(both, other), 2u);
}

TEST_F(SqliteStoreTest, ClaimsNeverExceedTheCap) {
  const TimePoint t0 = clock_.now();
  const auto other = add_webhook_for_device_86(*store_, t0);
  const auto a = status_events(85, 30, t0);
  const auto b = status_events(86, 30, t0);  // both webhooks
  store_->ingest({&a, &b}, t0);
  std::map<domain::WebhookId, size_t> in_flight;
  size_t claims = 0;
  for (;; ++claims) {
    const auto claimed = store_->claim_due("w", t0, t0 + 30s, 4, 7, in_flight);
    if (claimed.empty()) break;
    for (const auto& d : claimed) ++in_flight[d.webhook_id];
    for (const auto& [webhook, n] : in_flight) ASSERT_LE(n, 7u) << "webhook " << webhook;
  }
  EXPECT_EQ(in_flight[webhook_], 7u);
  EXPECT_EQ(in_flight[other], 7u);
  EXPECT_EQ(claims, 4u);  // 14 slots, 4 at a time
}

TEST_F(SqliteStoreTest, ARecordedRetryDueAtOnceIsClaimedAgain) {
  const TimePoint t0 = clock_.now();
  const auto d = ingest_and_claim(t0);
  AttemptRecord r;
  r.delivery_id = d.id;
  r.webhook_id = d.webhook_id;
  r.attempt = 1;
  r.result.at = t0;
  r.result.status_code = 500;
  r.new_status = domain::DeliveryStatus::kPending;
  r.next_attempt_at = t0 + 1s;
  store_->record_attempts({r}, t0, 24h);
  // Recording gave the lease back: the retry goes when it is due, not when the lease runs out.
  EXPECT_TRUE(store_->claim_due("w", t0 + 500ms, t0 + 30s, 10, 16, {}).empty());
  EXPECT_EQ(store_->next_due(), t0 + 1s);
  const auto again = store_->claim_due("w", t0 + 1s, t0 + 31s, 10, 16, {});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, d.id);
  EXPECT_EQ(again[0].attempts_made, 1);
  // In flight, it is not what comes next.
  EXPECT_EQ(store_->next_due(), std::nullopt);
}

}  // namespace
}  // namespace hookd::store::sqlite
