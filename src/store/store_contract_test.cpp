// The contract every store backend keeps, asserted on each: a SQLite file and a PostgreSQL
// database of its own (on the server HOOKD_TEST_POSTGRES_URL names; those instances are
// skipped without it), with time injected. What only one backend does is tested beside it.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "delivery/retention.hpp"
#include "security/secret_box.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/secret_sweep.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"
#include "store/store_scenario.hpp"
#include "store/valid_text.hpp"
#include "support/database_reader.hpp"
#include "support/postgres_test_database.hpp"
#include "support/temp_dir.hpp"

namespace hookd::store {
namespace {

using namespace std::chrono_literals;
using domain::DeliveryStatus;
using domain::Topic;

using test_support::Backend;
using test_support::backend_name;

class StoreContractTest : public ::testing::TestWithParam<Backend>,
                          public test_support::StoreScenario {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      if (!hookd::testing::test_postgres_server_url()) {
        GTEST_SKIP() << "HOOKD_TEST_POSTGRES_URL is not set";
      }
      postgres_ = std::make_unique<hookd::testing::PostgresTestDatabase>();
    }
    store_ = open();
    store_->migrate();

    put_tenants();
  }

  void TearDown() override {
    store_.reset();  // before its database is dropped
    postgres_.reset();
  }

  // Another store on the test's database, as a second process would open it.
  std::unique_ptr<Store> open(StoreOptions options = {}) {
    if (GetParam() == Backend::kPostgres) {
      return test_support::with_test_key_ring(std::make_unique<postgres::PostgresStore>(
          postgres_->url(), clock_, postgres::PoolOptions{}, options));
    }
    return test_support::with_test_key_ring(
        std::make_unique<sqlite::SqliteStore>(dir_.file("store.db"), clock_, 8, options));
  }

  Store& subject() override { return *store_; }

  hookd::testing::TempDir dir_;
  std::unique_ptr<hookd::testing::PostgresTestDatabase> postgres_;
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreContractTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backend_name);

TEST_P(StoreContractTest, MigratingAgainKeepsWhatIsStored) {
  const auto w = create(webhook({85}));
  store_->migrate();
  auto second = open();  // a second process starting on the same database
  second->migrate();
  EXPECT_TRUE(second->organization_exists(6));
  ASSERT_TRUE(second->find_webhook(w));
  EXPECT_EQ(second->find_webhook(w)->device_ids, (std::vector<domain::DeviceId>{85}));
  EXPECT_TRUE(store_->ping());
  EXPECT_TRUE(second->ping());
}

TEST_P(StoreContractTest, TokensAreFoundByHashUntilRevoked) {
  const auto platform = store_->create_token(domain::Role::kPlatform, std::nullopt, "hash-p");
  const auto admin = store_->create_token(domain::Role::kAdmin, 6, "hash-a");
  EXPECT_NE(platform, admin);
  const auto found = store_->find_active_token("hash-a");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->principal.token_id, admin);
  EXPECT_EQ(found->principal.role, domain::Role::kAdmin);
  EXPECT_EQ(found->principal.organization, 6);
  EXPECT_EQ(found->token_hash, "hash-a");
  EXPECT_FALSE(store_->find_active_token("hash-p")->principal.organization);
  EXPECT_FALSE(store_->find_active_token("nope"));
  EXPECT_TRUE(store_->revoke_token(admin));
  EXPECT_FALSE(store_->revoke_token(admin));
  EXPECT_FALSE(store_->find_active_token("hash-a"));
  EXPECT_TRUE(store_->find_active_token("hash-p"));
  EXPECT_THROW(store_->create_token(domain::Role::kRead, 6, "hash-p"), StoreError);
}

TEST_P(StoreContractTest, OrganizationsDevicesAndGroups) {
  EXPECT_FALSE(store_->put_organization({6, "renamed"}));
  EXPECT_TRUE(store_->put_organization({8, "new"}));
  EXPECT_TRUE(store_->organization_exists(8));
  EXPECT_FALSE(store_->organization_exists(9));

  const auto no_org = store_->put_device({100, 9, "x"});
  EXPECT_EQ(no_org.kind, PutOutcome::Kind::kOrganizationNotFound);
  EXPECT_EQ(no_org.missing_id, 9);
  EXPECT_TRUE(store_->put_device({100, 6, "x"}).created);
  EXPECT_FALSE(store_->put_device({100, 6, "y"}).created);

  EXPECT_EQ(store_->first_missing_device(6, {85, 90, 86, 999}), 90);  // 90 is org 7's
  EXPECT_EQ(store_->first_missing_device(6, {85, 86}), std::nullopt);
  EXPECT_EQ(store_->first_missing_device(6, {}), std::nullopt);
  EXPECT_EQ(store_->first_missing_device_group(6, {1, 2}), 2);
  EXPECT_EQ(store_->first_missing_device_group(7, {1}), 1);
  EXPECT_EQ(store_->first_missing_device_group(6, {1}), std::nullopt);

  const auto foreign = store_->put_device_group({2, 6, "g", {85, 90}});
  EXPECT_EQ(foreign.kind, PutOutcome::Kind::kDeviceNotFound);
  EXPECT_EQ(foreign.missing_id, 90);
  EXPECT_EQ(store_->put_device_group({2, 9, "g", {}}).kind,
            PutOutcome::Kind::kOrganizationNotFound);
  EXPECT_TRUE(store_->put_device_group({2, 6, "g", {87}}).created);
  EXPECT_FALSE(store_->put_device_group({2, 6, "g", {87, 87, 85}}).created);

  // A device moving to another organization leaves its old groups and webhooks.
  const auto w = create(webhook({100}, {}, {Topic::kDeviceStatus}));
  EXPECT_EQ(store_->put_device({100, 8, "moved"}).kind, PutOutcome::Kind::kOk);
  EXPECT_TRUE(store_->find_webhook(w)->device_ids.empty());

  EXPECT_TRUE(store_->delete_device(100));
  EXPECT_FALSE(store_->delete_device(100));
  EXPECT_TRUE(store_->delete_device_group(2));
  EXPECT_FALSE(store_->delete_device_group(2));
}

TEST_P(StoreContractTest, WebhooksAreCreatedFoundListedUpdatedAndDeleted) {
  auto w1 = webhook({86, 85}, {1}, {Topic::kDeviceTamper, Topic::kDeviceStatus});
  std::sort(w1.device_ids.begin(), w1.device_ids.end());
  w1.secret_http = "PoWJFA11inptkbGz";
  const auto created = store_->create_webhook(w1);
  EXPECT_GT(created.id, 0);
  const auto w2 = create(webhook());
  const auto w3 = create(webhook({}, {}, {Topic::kDeviceStatus}, 7));

  const auto found = store_->find_webhook(created.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->organization_id, 6);
  EXPECT_EQ(found->device_ids, (std::vector<domain::DeviceId>{85, 86}));
  EXPECT_EQ(found->device_group_ids, (std::vector<domain::DeviceGroupId>{1}));
  EXPECT_EQ(found->topics, w1.topics);
  EXPECT_EQ(found->secret_http, "PoWJFA11inptkbGz");
  EXPECT_EQ(found->secret_hmac, w1.secret_hmac);
  EXPECT_EQ(found->status, domain::WebhookStatus::kEnabled);
  EXPECT_EQ(found->created_at, w1.created_at);
  EXPECT_FALSE(store_->find_webhook(9999));

  const auto all = store_->list_webhooks({});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, w3);  // newest first
  EXPECT_EQ(all[2].id, created.id);
  const auto org6 = store_->list_webhooks({6, 0, 50});
  ASSERT_EQ(org6.size(), 2u);
  EXPECT_EQ(org6[0].id, w2);
  const auto page = store_->list_webhooks({6, 1, 1});
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].id, created.id);

  // Pending deliveries become skipped when the webhook is disabled by an update.
  ingest({event(85, Topic::kDeviceStatus, clock_.now())}, clock_.now());
  auto changed = *found;
  changed.device_ids = {87};
  changed.device_group_ids = {};
  changed.url = "https://example.org/other";
  changed.secret_http = std::nullopt;
  changed.status = domain::WebhookStatus::kDisabled;
  changed.disabled_reason = "by hand";
  changed.modified_at = clock_.now() + 1s;
  EXPECT_TRUE(store_->update_webhook(changed));
  const auto updated = store_->find_webhook(created.id);
  EXPECT_EQ(updated->device_ids, (std::vector<domain::DeviceId>{87}));
  EXPECT_TRUE(updated->device_group_ids.empty());
  EXPECT_EQ(updated->url, "https://example.org/other");
  EXPECT_FALSE(updated->secret_http);
  EXPECT_EQ(updated->status, domain::WebhookStatus::kDisabled);
  EXPECT_EQ(updated->disabled_reason, "by hand");
  EXPECT_EQ(updated->modified_at, changed.modified_at);
  const auto log = store_->list_deliveries({created.id, std::nullopt, 0, 50});
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, DeliveryStatus::kSkipped);

  changed.id = 9999;
  EXPECT_FALSE(store_->update_webhook(changed));
  EXPECT_TRUE(store_->delete_webhook(created.id));
  EXPECT_FALSE(store_->delete_webhook(created.id));
  EXPECT_FALSE(store_->find_webhook(created.id));
}

TEST_P(StoreContractTest, AnEventReachesEveryMatchingWebhookOnce) {
  const TimePoint t0 = clock_.now();
  // Device 85 named directly and through group 1: one delivery, not two.
  const auto both = create(webhook({85}, {1}, {Topic::kDeviceTamper}));
  const auto group = create(webhook({}, {1}, {Topic::kDeviceTamper}));
  const auto org_wide = create(webhook({}, {}, {Topic::kDeviceStatus}));
  const auto other_org = create(webhook({}, {}, {Topic::kDeviceTamper}, 7));
  auto disabled = webhook({87}, {}, {Topic::kDeviceTamper});
  disabled.status = domain::WebhookStatus::kDisabled;
  const auto disabled_id = create(disabled);

  const auto out =
      ingest({event(85, Topic::kDeviceTamper, t0), event(87, Topic::kDeviceStatus, t0),
              event(86, Topic::kDeviceActivation, t0), event(87, Topic::kDeviceTamper, t0)},
             t0);
  ASSERT_TRUE(out.ok);
  ASSERT_EQ(out.events.size(), 4u);
  EXPECT_EQ(out.events[0].deliveries, 2);  // both, group
  EXPECT_EQ(out.events[1].deliveries, 1);  // org_wide
  EXPECT_EQ(out.events[2].deliveries, 0);  // nobody subscribes to activations
  EXPECT_EQ(out.events[3].deliveries, 1);  // disabled, kept as skipped
  EXPECT_FALSE(out.events[0].duplicate);
  EXPECT_EQ(store_->list_deliveries({both, std::nullopt, 0, 50}).size(), 1u);
  EXPECT_EQ(store_->list_deliveries({group, std::nullopt, 0, 50}).size(), 1u);
  EXPECT_EQ(store_->list_deliveries({org_wide, std::nullopt, 0, 50}).size(), 1u);
  EXPECT_TRUE(store_->list_deliveries({other_org, std::nullopt, 0, 50}).empty());
  const auto skipped = store_->list_deliveries({disabled_id, std::nullopt, 0, 50});
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0].status, DeliveryStatus::kSkipped);
  EXPECT_FALSE(skipped[0].next_attempt_at);
  EXPECT_EQ(store_->queue_stats().pending, 3);
  EXPECT_EQ(store_->queue_stats().oldest_pending_created_at, t0);

  // A device added to the group later is covered from then on.
  ASSERT_EQ(store_->put_device_group({1, 6, "entrances", {85, 86, 87}}).kind,
            PutOutcome::Kind::kOk);
  EXPECT_EQ(ingest({event(87, Topic::kDeviceTamper, t0)}, t0).events[0].deliveries, 3);
}

TEST_P(StoreContractTest, AProducerIdIsDeliveredOnceWithin24Hours) {
  const TimePoint t0 = clock_.now();
  create(webhook());
  const auto first = ingest({event(85, Topic::kDeviceStatus, t0, "lock-85-0001")}, t0);
  EXPECT_FALSE(first.events[0].duplicate);
  // Again in the same request and in a later one: duplicates, answered with the first id.
  const auto again = ingest({event(85, Topic::kDeviceStatus, t0, "lock-85-0001"),
                             event(86, Topic::kDeviceStatus, t0, "lock-86-0001"),
                             event(86, Topic::kDeviceStatus, t0, "lock-86-0001")},
                            t0 + 23h);
  EXPECT_TRUE(again.events[0].duplicate);
  EXPECT_EQ(again.events[0].id, first.events[0].id);
  EXPECT_EQ(again.events[0].deliveries, 0);
  EXPECT_FALSE(again.events[1].duplicate);
  EXPECT_TRUE(again.events[2].duplicate);
  EXPECT_EQ(again.events[2].id, again.events[1].id);
  // After 24 h the id is free again.
  const auto later = ingest({event(85, Topic::kDeviceStatus, t0, "lock-85-0001")}, t0 + 25h);
  EXPECT_FALSE(later.events[0].duplicate);
  EXPECT_NE(later.events[0].id, first.events[0].id);
  EXPECT_EQ(later.events[0].deliveries, 1);
}

TEST_P(StoreContractTest, ARequestWithAnUnknownDeviceStoresNothing) {
  const TimePoint t0 = clock_.now();
  create(webhook());
  IngestRequest good;
  good.events = {event(85, Topic::kDeviceStatus, t0)};
  IngestRequest bad;
  bad.events = {event(86, Topic::kDeviceStatus, t0, "p-1"), event(4242, Topic::kDeviceStatus, t0)};
  const auto outcomes = store_->ingest({&good, &bad}, t0);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_TRUE(outcomes[0].ok);
  EXPECT_FALSE(outcomes[1].ok);
  EXPECT_EQ(outcomes[1].missing_device, 4242);
  EXPECT_TRUE(outcomes[1].events.empty());
  EXPECT_EQ(store_->queue_stats().pending, 1);  // the good request's only
  // The bad request's producer id was not taken.
  EXPECT_FALSE(ingest({event(86, Topic::kDeviceStatus, t0, "p-1")}, t0).events[0].duplicate);
}

TEST_P(StoreContractTest, ALeaseKeepsADeliveryFromASecondWorkerUntilItRunsOut) {
  create(webhook());
  const TimePoint t0 = clock_.now();
  const auto claimed = ingest_and_claim(t0);
  EXPECT_EQ(claimed.event.device_id, 85);
  EXPECT_EQ(claimed.event.organization_id, 6);
  EXPECT_EQ(claimed.event.data_json, R"({"level":3})");
  EXPECT_EQ(claimed.url, "https://example.com/hook");
  EXPECT_EQ(claimed.attempts_made, 0);
  EXPECT_EQ(claimed.created_at, t0);
  EXPECT_TRUE(store_->claim_due("other", t0 + 29s, t0 + 59s, 10, 16, {}).empty());
  // The first worker died; after the lease, another takes the delivery over.
  const auto taken = store_->claim_due("other", t0 + 31s, t0 + 61s, 10, 16, {});
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].id, claimed.id);
}

// A dispatcher's room as the hand-off sees it: slots for the webhooks the test names, and what
// it was handed.
class TestRoom final : public HandOffRoom {
 public:
  explicit TestRoom(std::map<domain::WebhookId, size_t> slots) : slots_(std::move(slots)) {}
  const std::string& owner() const override { return owner_; }
  std::chrono::milliseconds lease() const override { return 30s; }
  std::vector<bool> take_slots(const std::vector<domain::WebhookId>& webhooks) override {
    std::vector<bool> granted;
    for (domain::WebhookId webhook : webhooks) {
      auto it = slots_.find(webhook);
      granted.push_back(it != slots_.end() && it->second > 0);
      if (granted.back()) --it->second;
    }
    return granted;
  }
  void give_back(const std::vector<domain::WebhookId>& webhooks) override {
    for (domain::WebhookId webhook : webhooks) ++slots_[webhook];
  }
  void hand_off(std::vector<ClaimedDelivery> deliveries, TimePoint until,
                bool pending_left) override {
    ++hand_offs;
    for (auto& d : deliveries) handed.push_back(std::move(d));
    lease_until = until;
    left_pending = left_pending || pending_left;
  }
  size_t slots(domain::WebhookId webhook) const {
    const auto it = slots_.find(webhook);
    return it == slots_.end() ? 0 : it->second;
  }

  std::vector<ClaimedDelivery> handed;
  TimePoint lease_until{};
  bool left_pending = false;
  int hand_offs = 0;

 private:
  const std::string owner_ = "worker-handoff";
  std::map<domain::WebhookId, size_t> slots_;
};

// Ingestion hands a room the new deliveries it has slots for, stored leased to it with all a
// claim would have given (the event, the URL, every secret in grace), and leaves the rest
// pending for a claim. No claim takes a handed-off delivery until its lease has run out.
TEST_P(StoreContractTest, IngestionHandsOffWhatARoomHasSlotsForAndLeavesTheRestToClaims) {
  const TimePoint t0 = clock_.now();
  const auto handed_to = create(webhook({85}));
  const auto left = create(webhook({85}));
  auto disabled = webhook({85});
  disabled.status = domain::WebhookStatus::kDisabled;
  const auto skipped = create(disabled);
  ASSERT_TRUE(store_->rotate_secret(handed_to, "new-secret-1", t0 + 24h, t0));

  TestRoom room({{handed_to, 1}, {skipped, 1}});
  IngestRequest request;
  request.events = {event(85, Topic::kDeviceStatus, t0)};
  const auto outcomes = store_->ingest({&request}, t0, SIZE_MAX, &room);
  ASSERT_EQ(outcomes.at(0).events.at(0).deliveries, 3);

  EXPECT_EQ(room.hand_offs, 1);
  ASSERT_EQ(room.handed.size(), 1u);
  const ClaimedDelivery& d = room.handed[0];
  EXPECT_EQ(d.webhook_id, handed_to);
  EXPECT_EQ(d.id, store_->list_deliveries({handed_to, std::nullopt, 0, 50}).at(0).id);
  EXPECT_EQ(d.attempts_made, 0);
  EXPECT_EQ(d.event.id, request.events[0].id);
  EXPECT_EQ(d.event.organization_id, 6);
  EXPECT_EQ(d.event.data_json, R"({"level":3})");
  EXPECT_EQ(d.url, "https://example.com/hook");
  EXPECT_EQ(d.hmac_secrets,
            (std::vector<std::string>{"new-secret-1", "bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB"}));
  EXPECT_EQ(d.created_at, t0);
  EXPECT_EQ(room.lease_until, t0 + 30s);
  EXPECT_TRUE(room.left_pending) << "the room was not told of the delivery left for a claim";
  // The disabled webhook's delivery is skipped: no slot was taken for it.
  EXPECT_EQ(room.slots(skipped), 1u);
  EXPECT_EQ(store_->queue_stats().pending, 2);

  // A claim takes only what was left; the handed-off one once its lease has run out.
  const auto claimed = store_->claim_due("other", t0, t0 + 1h, 10, 16, {});
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].webhook_id, left);
  EXPECT_TRUE(store_->claim_due("other", t0 + 29s, t0 + 59s, 10, 16, {}).empty());
  const auto taken = store_->claim_due("other", t0 + 31s, t0 + 61s, 10, 16, {});
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].id, d.id);
  finish(taken[0], DeliveryStatus::kSucceeded, t0 + 32s);
  EXPECT_EQ(store_->list_deliveries({handed_to, std::nullopt, 0, 50}).at(0).status,
            DeliveryStatus::kSucceeded);
}

// Recorded, a handed-off delivery is done like a claimed one: nothing is left to claim.
TEST_P(StoreContractTest, AHandedOffDeliveryRecordedIsNotClaimedAgain) {
  const TimePoint t0 = clock_.now();
  const auto w = create(webhook({85}));
  TestRoom room({{w, 4}});
  IngestRequest request;
  request.events = {event(85, Topic::kDeviceStatus, t0), event(85, Topic::kDeviceStatus, t0)};
  store_->ingest({&request}, t0, SIZE_MAX, &room);
  ASSERT_EQ(room.handed.size(), 2u);
  EXPECT_FALSE(room.left_pending);
  EXPECT_EQ(room.slots(w), 2u);
  finish(room.handed[0], DeliveryStatus::kSucceeded, t0 + 1s);
  finish(room.handed[1], DeliveryStatus::kFailed, t0 + 1s);
  EXPECT_TRUE(store_->claim_due("other", t0 + 31s, t0 + 61s, 10, 16, {}).empty());
  EXPECT_EQ(store_->queue_stats().pending, 0);
}

TEST_P(StoreContractTest, TheCapPerWebhookLimitsAClaim) {
  const auto w = create(webhook());
  const auto other = create(webhook({86}));
  const TimePoint t0 = clock_.now();
  std::vector<domain::Event> events;
  for (int i = 0; i < 5; ++i) events.push_back(event(85, Topic::kDeviceStatus, t0));
  events.push_back(event(86, Topic::kDeviceStatus, t0));  // both webhooks
  ingest(events, t0);
  // Two already in flight for `w`, a cap of three: one more may go; `other` gets its own.
  const auto claimed = store_->claim_due("w", t0, t0 + 30s, 10, 3, {{w, 2}});
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(std::count_if(claimed.begin(), claimed.end(),
                          [&](const ClaimedDelivery& d) { return d.webhook_id == w; }),
            1);
  // At the cap, nothing more for `w`; without anything in flight, up to the cap.
  EXPECT_TRUE(store_->claim_due("w", t0, t0 + 30s, 10, 3, {{w, 3}, {other, 3}}).empty());
  EXPECT_EQ(store_->claim_due("x", t0, t0 + 30s, 10, 3, {}).size(), 3u);
  // The limit holds too.
  EXPECT_EQ(store_->claim_due("y", t0 + 31s, t0 + 60s, 2, 16, {}).size(), 2u);
}

TEST_P(StoreContractTest, AWebhookAtItsCapDoesNotHoldUpAnother) {
  const auto w = create(webhook());
  const auto other = create(webhook({86}));
  const TimePoint t0 = clock_.now();
  // A long backlog for `w` first, then newer deliveries for both.
  std::vector<domain::Event> backlog;
  for (int i = 0; i < 200; ++i) backlog.push_back(event(85, Topic::kDeviceStatus, t0));
  ingest(backlog, t0);
  std::vector<domain::Event> newer;
  for (int i = 0; i < 3; ++i) newer.push_back(event(86, Topic::kDeviceStatus, t0 + 1s));
  ingest(newer, t0 + 1s);
  auto count_for = [](const std::vector<ClaimedDelivery>& claimed, domain::WebhookId webhook) {
    return std::count_if(claimed.begin(), claimed.end(),
                         [&](const ClaimedDelivery& d) { return d.webhook_id == webhook; });
  };
  // `w` at its cap: the claim goes past its backlog to the newer deliveries of `other`.
  const auto claimed = store_->claim_due("w", t0 + 2s, t0 + 32s, 10, 3, {{w, 3}});
  EXPECT_EQ(claimed.size(), 3u);
  EXPECT_EQ(count_for(claimed, other), 3);
  // With nothing in flight, the oldest first, each webhook within the cap.
  const auto both = store_->claim_due("x", t0 + 40s, t0 + 70s, 5, 3, {});
  EXPECT_EQ(count_for(both, w), 3);
  EXPECT_EQ(count_for(both, other), 2);
}

// Longer than a claim walks before it turns to each webhook's oldest (kWalkBudget on SQLite).
TEST_P(StoreContractTest, AWebhookAtItsCapWithALongBacklogDoesNotHoldUpAnother) {
  const auto w = create(webhook());
  const auto other = create(webhook({86}));
  const TimePoint t0 = clock_.now();
  std::vector<domain::Event> backlog;
  for (int i = 0; i < 1000; ++i) backlog.push_back(event(85, Topic::kDeviceStatus, t0));
  ingest(backlog, t0);
  ingest({event(86, Topic::kDeviceStatus, t0 + 1s), event(86, Topic::kDeviceStatus, t0 + 1s)},
         t0 + 1s);
  const auto claimed = store_->claim_due("w", t0 + 2s, t0 + 32s, 10, 3, {{w, 3}});
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].webhook_id, other);
  EXPECT_EQ(claimed[1].webhook_id, other);
  // With its slots free again, `w` gets its oldest, and the older backlog goes first.
  const auto next = store_->claim_due("w", t0 + 2s, t0 + 32s, 4, 3, {{other, 2}});
  ASSERT_EQ(next.size(), 3u);
  for (const auto& d : next) EXPECT_EQ(d.webhook_id, w);
}

TEST_P(StoreContractTest, ClaimsNeverExceedTheCap) {
  const auto w = create(webhook());
  const auto other = create(webhook({86}));
  const TimePoint t0 = clock_.now();
  std::vector<domain::Event> events;
  for (int i = 0; i < 30; ++i) {
    events.push_back(event(85, Topic::kDeviceStatus, t0));
    events.push_back(event(86, Topic::kDeviceStatus, t0));  // both webhooks
  }
  ingest(events, t0);
  std::map<domain::WebhookId, size_t> in_flight;
  size_t claims = 0;
  for (;; ++claims) {
    const auto claimed = store_->claim_due("w", t0, t0 + 30s, 4, 7, in_flight);
    if (claimed.empty()) break;
    for (const auto& d : claimed) ++in_flight[d.webhook_id];
    for (const auto& [webhook, n] : in_flight) ASSERT_LE(n, 7u) << "webhook " << webhook;
  }
  EXPECT_EQ(in_flight[w], 7u);
  EXPECT_EQ(in_flight[other], 7u);
  EXPECT_EQ(claims, 4u);  // 14 slots, 4 at a time
}

TEST_P(StoreContractTest, ARecordedRetryDueAtOnceIsClaimedAgain) {
  create(webhook());
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

// A batch of successes is recorded whole, whatever the receivers answered: quotes,
// backslashes, commas, braces, the word NULL, an empty body, invalid UTF-8 and NUL.
TEST_P(StoreContractTest, ABatchOfSuccessesKeepsEveryAttemptAndAnswer) {
  const auto w = create(webhook());
  const TimePoint t0 = clock_.now();
  const std::vector<std::string> bodies = {
      R"({"ok":"yes, \"quoted\""})", "back\\slash",  "{a,b}", "NULL", "",
      std::string("nul\0x", 5),      "bad \xff byte"};
  std::vector<domain::Event> events;
  for (size_t i = 0; i < bodies.size(); ++i) events.push_back(event(85, Topic::kDeviceStatus, t0));
  ingest(events, t0);
  const auto claimed = store_->claim_due("w", t0, t0 + 30s, 100, 100, {});
  ASSERT_EQ(claimed.size(), bodies.size());
  std::vector<AttemptRecord> records;
  for (size_t i = 0; i < claimed.size(); ++i) {
    AttemptRecord r;
    r.delivery_id = claimed[i].id;
    r.webhook_id = w;
    r.attempt = 1;
    r.result.at = t0 + 1s;
    r.result.duration_ms = static_cast<int64_t>(10 + i);
    r.result.status_code = 200 + static_cast<int>(i);
    r.result.response_body = bodies[i];
    r.new_status = DeliveryStatus::kSucceeded;
    records.push_back(r);
  }
  store_->record_attempts(records, t0 + 1s, 24h);
  for (size_t i = 0; i < claimed.size(); ++i) {
    const auto detail = store_->find_delivery(w, claimed[i].id);
    ASSERT_TRUE(detail);
    EXPECT_EQ(detail->summary.status, DeliveryStatus::kSucceeded);
    EXPECT_EQ(detail->summary.attempt_count, 1);
    EXPECT_EQ(detail->summary.last_status_code, 200 + static_cast<int>(i));
    ASSERT_EQ(detail->attempts.size(), 1u);
    EXPECT_EQ(detail->attempts[0].result.status_code, 200 + static_cast<int>(i));
    EXPECT_EQ(detail->attempts[0].result.duration_ms, static_cast<int64_t>(10 + i));
    EXPECT_EQ(detail->attempts[0].result.response_body, to_valid_text(bodies[i])) << i;
  }
  EXPECT_EQ(store_->queue_stats().pending, 0);
  EXPECT_TRUE(store_->claim_due("w", t0 + 2s, t0 + 32s, 100, 100, {}).empty());
}

TEST_P(StoreContractTest, AttemptsAreLoggedAndMoveDeliveriesOn) {
  const auto w = create(webhook());
  const TimePoint t0 = clock_.now();
  const auto d = ingest_and_claim(t0);
  EXPECT_EQ(store_->next_due(), std::nullopt);  // leased
  finish(d, DeliveryStatus::kPending, t0 + 1s, 1, 503);
  auto log = store_->list_deliveries({w, DeliveryStatus::kPending, 0, 50});
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].attempt_count, 1);
  EXPECT_EQ(log[0].last_status_code, 503);
  EXPECT_EQ(log[0].next_attempt_at, t0 + 1s + 24h * 365);
  EXPECT_EQ(store_->next_due(), t0 + 1s + 24h * 365);
  EXPECT_TRUE(store_->list_deliveries({w, DeliveryStatus::kSucceeded, 0, 50}).empty());

  // Sent again by hand: due now, claimed again, and succeeding this time.
  EXPECT_TRUE(store_->retry_delivery(w, d.id, t0 + 2s));
  EXPECT_FALSE(store_->retry_delivery(w, 9999, t0 + 2s));
  const auto again = store_->claim_due("test", t0 + 2s, t0 + 32s, 10, 16, {});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempts_made, 1);
  AttemptRecord r;
  r.delivery_id = d.id;
  r.webhook_id = w;
  r.attempt = 2;
  r.result.at = t0 + 3s;
  r.result.duration_ms = 12;
  r.result.status_code = 200;
  r.result.response_body = std::string("ok\0\xff", 4);  // not text: kept, made valid
  r.new_status = DeliveryStatus::kSucceeded;
  store_->record_attempts({r}, t0 + 3s, 24h);
  const auto detail = store_->find_delivery(w, d.id);
  ASSERT_TRUE(detail);
  EXPECT_EQ(detail->summary.status, DeliveryStatus::kSucceeded);
  EXPECT_EQ(detail->summary.topic, Topic::kDeviceStatus);
  EXPECT_FALSE(detail->summary.next_attempt_at);
  EXPECT_EQ(detail->event.data_json, R"({"level":3})");
  EXPECT_EQ(detail->event.device_id, 85);
  ASSERT_EQ(detail->attempts.size(), 2u);
  EXPECT_EQ(detail->attempts[0].number, 1);
  EXPECT_EQ(detail->attempts[0].result.status_code, 503);
  EXPECT_EQ(detail->attempts[1].result.duration_ms, 12);
  EXPECT_EQ(detail->attempts[1].result.response_body, "ok\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_FALSE(store_->find_delivery(w + 1, d.id));
  EXPECT_EQ(store_->queue_stats().pending, 0);
}

TEST_P(StoreContractTest, AWebhooksLogPagesNewestFirstWhateverTheStatuses) {
  const auto w = create(webhook({85}));
  const auto other = create(webhook({86}));
  const TimePoint t0 = clock_.now();
  std::vector<domain::DeliveryId> ids;  // w's, oldest first
  std::vector<DeliveryStatus> statuses;
  // The oldest is skipped: stored while w was disabled (disabling skips what is pending, so
  // this comes first).
  auto changed = *store_->find_webhook(w);
  changed.status = domain::WebhookStatus::kDisabled;
  ASSERT_TRUE(store_->update_webhook(changed));
  ingest({event(85, Topic::kDeviceStatus, t0)}, t0);
  const auto skipped = store_->list_deliveries({w, DeliveryStatus::kSkipped, 0, 50});
  ASSERT_EQ(skipped.size(), 1u);
  ids.push_back(skipped[0].id);
  statuses.push_back(DeliveryStatus::kSkipped);
  changed.status = domain::WebhookStatus::kEnabled;
  ASSERT_TRUE(store_->update_webhook(changed));
  for (int i = 1; i <= 10; ++i) {
    const TimePoint at = t0 + i * 1s;
    clock_.set(at);
    ingest({event(85, Topic::kDeviceStatus, at), event(86, Topic::kDeviceStatus, at)}, at);
    for (const auto& d : store_->claim_due("t", at, at + 30s, 10, 16, {})) {
      if (d.webhook_id != w) continue;
      // Succeeded, failed, to be retried, and on the wire (leased): pending.
      const DeliveryStatus status[] = {DeliveryStatus::kSucceeded, DeliveryStatus::kFailed,
                                       DeliveryStatus::kPending, DeliveryStatus::kPending};
      if (i % 4 != 3) finish(d, status[i % 4], at);
      ids.push_back(d.id);
      statuses.push_back(status[i % 4]);
    }
  }
  ASSERT_EQ(ids.size(), 11u);

  const auto all = store_->list_deliveries({w, std::nullopt, 0, 50});
  ASSERT_EQ(all.size(), ids.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].id, ids[ids.size() - 1 - i]) << i;
    EXPECT_EQ(all[i].status, statuses[ids.size() - 1 - i]) << i;
  }
  std::vector<domain::DeliveryId> paged;
  for (int offset = 0; offset < 12; offset += 3) {
    for (const auto& d : store_->list_deliveries({w, std::nullopt, offset, 3})) {
      paged.push_back(d.id);
    }
  }
  EXPECT_EQ(paged, std::vector<domain::DeliveryId>(ids.rbegin(), ids.rend()));
  EXPECT_TRUE(store_->list_deliveries({w, std::nullopt, 11, 50}).empty());
  const auto others = store_->list_deliveries({other, std::nullopt, 0, 50});
  EXPECT_EQ(others.size(), 10u);
  for (const auto& d : others) EXPECT_EQ(std::count(ids.begin(), ids.end(), d.id), 0);
}

TEST_P(StoreContractTest, GoneDisablesAWebhookAndSkipsWhatItHadPending) {
  const auto w = create(webhook());
  const TimePoint t0 = clock_.now();
  const auto d = ingest_and_claim(t0);
  ingest({event(85, Topic::kDeviceStatus, t0)}, t0);  // a second one, still pending
  AttemptRecord r;
  r.delivery_id = d.id;
  r.webhook_id = w;
  r.attempt = 1;
  r.result.at = t0;
  r.result.status_code = 410;
  r.new_status = DeliveryStatus::kFailed;
  r.disable_webhook = true;
  store_->record_attempts({r}, t0, 24h);
  const auto hook = store_->find_webhook(w);
  EXPECT_EQ(hook->status, domain::WebhookStatus::kDisabled);
  EXPECT_EQ(hook->disabled_reason, "The receiver answered 410 Gone at " + format_rfc3339(t0));
  EXPECT_EQ(store_->list_deliveries({w, DeliveryStatus::kSkipped, 0, 50}).size(), 1u);
  EXPECT_EQ(store_->list_deliveries({w, DeliveryStatus::kFailed, 0, 50}).size(), 1u);

  // Recover: every failed or skipped delivery since then is pending again (once re-enabled,
  // it is claimed).
  EXPECT_EQ(store_->recover_deliveries(w, t0 + 1s, t0 + 2s), 0);
  EXPECT_EQ(store_->recover_deliveries(w, t0, t0 + 2s), 2);
  EXPECT_EQ(store_->list_deliveries({w, DeliveryStatus::kPending, 0, 50}).size(), 2u);
  EXPECT_TRUE(store_->claim_due("t", t0 + 2s, t0 + 32s, 10, 16, {}).empty());
  auto enabled = *hook;
  enabled.status = domain::WebhookStatus::kEnabled;
  enabled.disabled_reason = std::nullopt;
  ASSERT_TRUE(store_->update_webhook(enabled));
  EXPECT_EQ(store_->claim_due("t", t0 + 2s, t0 + 32s, 10, 16, {}).size(), 2u);
}

TEST_P(StoreContractTest, AWebhookFailingForTooLongIsDisabled) {
  const auto w = create(webhook());
  const TimePoint t0 = clock_.now();
  const auto first = ingest_and_claim(t0);
  AttemptRecord r;
  r.delivery_id = first.id;
  r.webhook_id = w;
  r.attempt = 1;
  r.result.at = t0;
  r.result.status_code = 500;
  r.new_status = DeliveryStatus::kPending;
  r.next_attempt_at = t0 + 1h;
  store_->record_attempts({r}, t0, 2h);
  EXPECT_EQ(store_->find_webhook(w)->status, domain::WebhookStatus::kEnabled);
  const auto retried = store_->claim_due("t", t0 + 3h, t0 + 3h + 30s, 10, 16, {});
  ASSERT_EQ(retried.size(), 1u);
  r.attempt = 2;
  r.result.at = t0 + 3h;
  r.next_attempt_at = t0 + 5h;
  store_->record_attempts({r}, t0 + 3h, 2h);
  const auto hook = store_->find_webhook(w);
  EXPECT_EQ(hook->status, domain::WebhookStatus::kDisabled);
  EXPECT_EQ(hook->disabled_reason,
            "Every delivery failed from 2027-01-15T08:00:00Z until " + format_rfc3339(t0 + 3h));
  EXPECT_EQ(store_->list_deliveries({w, DeliveryStatus::kSkipped, 0, 50}).size(), 1u);
}

// A batch is recorded as its attempts one after another (here in delivery order): the first
// failure past the limit disables the webhook and skips what it has pending, the attempts
// after it included, unless they succeeded; the attempts before it keep their outcome.
TEST_P(StoreContractTest, AWebhookDisabledWithinABatchSkipsTheAttemptsAfter) {
  const auto w = create(webhook());
  const TimePoint t0 = clock_.now();
  std::vector<domain::Event> events;
  for (int i = 0; i < 5; ++i) events.push_back(event(85, Topic::kDeviceStatus, t0));
  ingest(events, t0);
  const auto first = store_->claim_due("t", t0, t0 + 30s, 1, 16, {});
  ASSERT_EQ(first.size(), 1u);
  auto record = [&](const ClaimedDelivery& d, DeliveryStatus status, TimePoint at) {
    AttemptRecord r;
    r.delivery_id = d.id;
    r.webhook_id = w;
    r.attempt = d.attempts_made + 1;
    r.result.at = at;
    r.result.status_code = status == DeliveryStatus::kSucceeded ? 200 : 500;
    r.new_status = status;
    if (status == DeliveryStatus::kPending) r.next_attempt_at = at + 10h;
    return r;
  };
  store_->record_attempts({record(first[0], DeliveryStatus::kPending, t0)}, t0, 2h);  // failing
  const TimePoint later = t0 + 3h;
  const auto rest = store_->claim_due("t", later, later + 30s, 10, 16, {});
  ASSERT_EQ(rest.size(), 4u);
  store_->record_attempts({record(rest[0], DeliveryStatus::kFailed, later),
                           record(rest[1], DeliveryStatus::kPending, later),
                           record(rest[2], DeliveryStatus::kFailed, later),
                           record(rest[3], DeliveryStatus::kSucceeded, later)},
                          later, 2h);
  const auto hook = store_->find_webhook(w);
  EXPECT_EQ(hook->status, domain::WebhookStatus::kDisabled);
  EXPECT_EQ(hook->disabled_reason,
            "Every delivery failed from 2027-01-15T08:00:00Z until " + format_rfc3339(later));
  const auto status_of = [&](const ClaimedDelivery& d) {
    return store_->find_delivery(w, d.id)->summary.status;
  };
  EXPECT_EQ(status_of(first[0]), DeliveryStatus::kSkipped);  // pending, not in the batch
  EXPECT_EQ(status_of(rest[0]), DeliveryStatus::kFailed);    // disabled the webhook
  EXPECT_EQ(status_of(rest[1]), DeliveryStatus::kSkipped);
  EXPECT_EQ(status_of(rest[2]), DeliveryStatus::kSkipped);
  EXPECT_EQ(status_of(rest[3]), DeliveryStatus::kSucceeded);
  EXPECT_EQ(store_->queue_stats().pending, 0);
  for (const auto& d : rest) EXPECT_EQ(store_->find_delivery(w, d.id)->attempts.size(), 1u);
}

TEST_P(StoreContractTest, ARotatedSecretSignsBesideTheNewOneUntilItExpires) {
  const auto w = create(webhook());
  const TimePoint t0 = clock_.now();
  EXPECT_TRUE(store_->rotate_secret(w, "new-secret-1", t0 + 24h, t0));
  EXPECT_TRUE(store_->rotate_secret(w, "new-secret-2", t0 + 25h, t0 + 1s));
  EXPECT_FALSE(store_->rotate_secret(9999, "x", t0 + 24h, t0));
  const auto d = ingest_and_claim(t0 + 2s);
  EXPECT_EQ(d.hmac_secrets, (std::vector<std::string>{"new-secret-2", "new-secret-1",
                                                      "bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB"}));
  finish(d, DeliveryStatus::kSucceeded, t0 + 3s);
  const auto later = ingest_and_claim(t0 + 24h + 1s);  // the first secret has expired
  EXPECT_EQ(later.hmac_secrets, (std::vector<std::string>{"new-secret-2", "new-secret-1"}));
}

std::vector<StoredSecret> all_stored(Store& store) {
  std::vector<StoredSecret> out;
  for (SecretField f : {SecretField::kHmac, SecretField::kHttp, SecretField::kHmacInGrace}) {
    for (StoredSecret& s : store.stored_secrets(f, std::nullopt, 1000)) out.push_back(s);
  }
  return out;
}

TEST_P(StoreContractTest, SecretsAreStoredSealedForTheirWebhookAndField) {
  auto hook = webhook({85});
  hook.secret_http = "PoWJFA11inptkbGz";
  const auto w = create(hook);
  const TimePoint t0 = clock_.now();
  ASSERT_TRUE(store_->rotate_secret(w, "rotatedSecretOfWebhookNumberOne1", t0 + 24h, t0));
  const auto stored = all_stored(*store_);
  ASSERT_EQ(stored.size(), 3u);  // current HMAC, secretHttp, the rotated-out HMAC
  for (const StoredSecret& s : stored) {
    EXPECT_TRUE(security::KeyRing::is_sealed(s.value)) << s.value;
    EXPECT_EQ(security::KeyRing::key_id_of(s.value),
              test_support::test_key_ring()->sealing_key_id());
    for (const char* plain : {"PoWJFA11inptkbGz", "bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB",
                              "rotatedSecretOfWebhookNumberOne1"}) {
      EXPECT_EQ(s.value.find(plain), std::string::npos);
    }
  }
  // Above the store they are what was given.
  EXPECT_EQ(store_->find_webhook(w)->secret_http, "PoWJFA11inptkbGz");
  EXPECT_EQ(store_->find_webhook(w)->secret_hmac, "rotatedSecretOfWebhookNumberOne1");
  const auto d = ingest_and_claim(t0 + 1s);
  EXPECT_EQ(d.hmac_secrets, (std::vector<std::string>{"rotatedSecretOfWebhookNumberOne1",
                                                      "bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB"}));
  EXPECT_EQ(d.secret_http, "PoWJFA11inptkbGz");
  // An update seals secretHttp again and leaves the HMAC secret as it is.
  auto changed = *store_->find_webhook(w);
  changed.secret_http = "anotherHttpSecret";
  changed.secret_hmac = "notStoredByAnUpdate";
  ASSERT_TRUE(store_->update_webhook(changed));
  EXPECT_EQ(store_->find_webhook(w)->secret_http, "anotherHttpSecret");
  EXPECT_EQ(store_->find_webhook(w)->secret_hmac, "rotatedSecretOfWebhookNumberOne1");
}

TEST_P(StoreContractTest, ASealedSecretMovedToAnotherWebhookDoesNotOpen) {
  const auto a = create(webhook({85}));
  const auto b = create(webhook({86}));
  const auto stored = store_->stored_secrets(SecretField::kHmac, std::nullopt, 10);
  ASSERT_EQ(stored.size(), 2u);
  ASSERT_EQ(stored[0].webhook_id, a);
  // Webhook b's row now holds a's sealed secret, as an attacker with write access could make it.
  ASSERT_EQ(store_->replace_stored_secrets({{stored[1], stored[0].value}}), 1u);
  EXPECT_THROW(store_->find_webhook(b), SecretUnavailable);
  EXPECT_NO_THROW(store_->find_webhook(a));
  // Its deliveries are held, not sent with a wrong signature; the other webhook's go.
  const TimePoint t0 = clock_.now();
  ingest({event(86, Topic::kDeviceStatus, t0)}, t0);
  EXPECT_TRUE(store_->claim_due("w", t0, t0 + 30s, 10, 16, {}).empty());
  ingest({event(85, Topic::kDeviceStatus, t0)}, t0);
  const auto claimed = store_->claim_due("w", t0, t0 + 30s, 10, 16, {});
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].webhook_id, a);
}

TEST_P(StoreContractTest, ReplacingAStoredSecretIsACompareAndSwap) {
  const auto w = create(webhook({85}));
  auto before = store_->stored_secrets(SecretField::kHmac, std::nullopt, 10).at(0);
  const TimePoint t0 = clock_.now();
  // A rotation between the read and the write wins.
  ASSERT_TRUE(store_->rotate_secret(w, "rotatedMeanwhileRotatedMeanwhile", t0 + 1h, t0));
  EXPECT_EQ(store_->replace_stored_secrets({{before, "hk1:whatever"}}), 0u);
  EXPECT_EQ(store_->find_webhook(w)->secret_hmac, "rotatedMeanwhileRotatedMeanwhile");
}

TEST_P(StoreContractTest, TheSweepSealsPlaintextAndMovesSecretsToTheFirstKey) {
  auto hook = webhook({85});
  hook.secret_http = "PoWJFA11inptkbGz";
  const auto w = create(hook);
  create(webhook({86}));
  const TimePoint t0 = clock_.now();
  ASSERT_TRUE(store_->rotate_secret(w, "rotatedSecretOfWebhookNumberOne1", t0 + 24h, t0));
  // A row as a database from before sealing holds it.
  const auto http = store_->stored_secrets(SecretField::kHttp, std::nullopt, 10).at(0);
  ASSERT_EQ(store_->replace_stored_secrets({{http, "PoWJFA11inptkbGz"}}), 1u);

  const auto old_ring = test_support::test_key_ring();
  SweepResult first = sweep_secrets(*store_, *old_ring, SweepMode::kSealPlaintext, 2);
  EXPECT_EQ(first.examined, 4);
  EXPECT_EQ(first.sealed, 1);
  EXPECT_TRUE(first.missing_key_ids.empty());
  for (const StoredSecret& s : all_stored(*store_))
    EXPECT_TRUE(security::KeyRing::is_sealed(s.value));

  // A new key first: a sweep at start changes nothing; re-encryption moves all four.
  const security::SecretKey new_key = security::generate_secret_key();
  const security::KeyRing both({new_key, test_support::test_key()});
  EXPECT_EQ(sweep_secrets(*store_, both, SweepMode::kSealPlaintext, 2).reencrypted, 0);
  const SweepResult moved = sweep_secrets(*store_, both, SweepMode::kReencrypt, 2);
  EXPECT_EQ(moved.reencrypted, 4);
  EXPECT_EQ(moved.superseded, 0);
  for (const StoredSecret& s : all_stored(*store_)) {
    EXPECT_EQ(security::KeyRing::key_id_of(s.value), new_key.id);
  }
  // The old key can go: a store with the new key alone opens everything.
  auto reopened = open();
  reopened->use_key_ring(
      std::make_shared<const security::KeyRing>(std::vector<security::SecretKey>{new_key}));
  EXPECT_EQ(reopened->find_webhook(w)->secret_http, "PoWJFA11inptkbGz");
  EXPECT_TRUE(sweep_secrets(*reopened, security::KeyRing({new_key}), SweepMode::kSealPlaintext)
                  .missing_key_ids.empty());
  // ... and one with the old key alone names the key it lacks.
  const auto missing = sweep_secrets(*store_, *old_ring, SweepMode::kSealPlaintext);
  EXPECT_EQ(missing.missing_key_ids, (std::set<std::string>{new_key.id}));
}

TEST_P(StoreContractTest, ATestEventGoesToItsWebhookAlone) {
  const auto w = create(webhook());
  create(webhook());
  const TimePoint t0 = clock_.now();
  domain::Event e;
  e.id = domain::new_event_id();
  e.topic = Topic::kWebhookTest;
  e.type = "WebhookTest";
  e.time = t0;
  EXPECT_TRUE(store_->queue_test_event(w, e, t0));
  EXPECT_FALSE(store_->queue_test_event(9999, e, t0));
  const auto claimed = store_->claim_due("t", t0, t0 + 30s, 10, 16, {});
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].webhook_id, w);
  EXPECT_EQ(claimed[0].event.id, e.id);
  EXPECT_EQ(claimed[0].event.device_id, 0);
  EXPECT_EQ(claimed[0].event.organization_id, 6);
  EXPECT_EQ(claimed[0].event.type, "WebhookTest");
  EXPECT_EQ(claimed[0].event.topic, Topic::kWebhookTest);
}

TEST_P(StoreContractTest, APurgeRemovesExactlyWhatIsPastRetention) {
  const auto hook = create(webhook());
  const TimePoint t0 = clock_.now();
  const auto old_done = ingest_and_claim(t0);
  finish(old_done, DeliveryStatus::kSucceeded, t0 + 1s);
  const auto old_pending = ingest_and_claim(t0 + 2s);
  finish(old_pending, DeliveryStatus::kPending, t0 + 3s);  // still to be retried
  const auto recent = ingest_and_claim(t0 + 10 * 24h);
  finish(recent, DeliveryStatus::kFailed, t0 + 10 * 24h + 1s);

  // Thirty days' retention, seen from day 35: day 0 is past it, day 10 is not.
  clock_.set(t0 + 35 * 24h);
  delivery::RetentionPurger purger(*store_, clock_, 30 * 24h, 1);
  const PurgeResult purged = purger.purge_once();
  EXPECT_EQ(purged.deliveries, 1);
  EXPECT_EQ(purged.events, 1);
  EXPECT_FALSE(store_->find_delivery(hook, old_done.id));
  ASSERT_TRUE(store_->find_delivery(hook, old_pending.id));  // pending is never lost
  const auto kept = store_->find_delivery(hook, recent.id);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->attempts.size(), 1u);
  // A second pass finds nothing more.
  EXPECT_EQ(purger.purge_once().total(), 0);
}

TEST_P(StoreContractTest, AnOrganizationHoldsAtMostItsLimitOfWebhooks) {
  StoreOptions options;
  options.webhooks_per_organization = 3;
  store_ = open(options);
  for (int i = 0; i < 3; ++i) create(webhook());
  EXPECT_THROW(create(webhook()), WebhookLimitExceeded);
  WebhookQuery org6;
  org6.organization = 6;
  EXPECT_EQ(store_->list_webhooks(org6).size(), 3u);  // the refused one was not stored
  EXPECT_NO_THROW(create(webhook({}, {}, {Topic::kDeviceStatus}, 7)));  // another organization
  // A deleted webhook makes room again.
  ASSERT_TRUE(store_->delete_webhook(store_->list_webhooks(org6).at(0).id));
  EXPECT_NO_THROW(create(webhook()));
}

TEST_P(StoreContractTest, ConcurrentCreatesAtTheLimitLetOneThrough) {
  StoreOptions options;
  options.webhooks_per_organization = 5;
  store_ = open(options);
  for (int round = 0; round < 3; ++round) {
    WebhookQuery org6;
    org6.organization = 6;
    org6.size = 100;
    for (const domain::Webhook& w : store_->list_webhooks(org6)) store_->delete_webhook(w.id);
    for (int i = 0; i < 4; ++i) create(webhook());
    std::atomic<bool> go{false};
    std::atomic<int> created{0}, refused{0};
    std::vector<std::thread> creators;
    for (int t = 0; t < 6; ++t) {
      creators.emplace_back([&] {
        while (!go.load()) std::this_thread::yield();
        try {
          store_->create_webhook(webhook());
          ++created;
        } catch (const WebhookLimitExceeded&) {
          ++refused;
        }
      });
    }
    go = true;
    for (std::thread& t : creators) t.join();
    EXPECT_EQ(created.load(), 1);
    EXPECT_EQ(refused.load(), 5);
    EXPECT_EQ(store_->list_webhooks(org6).size(), 5u);
  }
}

// A claim on an idempotency key at `now`, with the API's lifetime and running bound.
IdempotencyRequest key_claim(std::string key_hash, std::string fingerprint, TimePoint now) {
  return {std::move(key_hash), std::move(fingerprint), now, now + 24h, now + 60s};
}

using ClaimKind = IdempotencyClaim::Kind;

TEST_P(StoreContractTest, AnIdempotencyKeyIsClaimedOnceThenReplaysItsAnswer) {
  const TimePoint t0 = clock_.now();
  const auto first = store_->claim_idempotency_key(key_claim("k1", "fp-a", t0));
  ASSERT_EQ(first.kind, ClaimKind::kNew);
  // While it runs: the same request is in use, another request is a reuse.
  EXPECT_EQ(store_->claim_idempotency_key(key_claim("k1", "fp-a", t0 + 1s)).kind,
            ClaimKind::kRunning);
  EXPECT_EQ(store_->claim_idempotency_key(key_claim("k1", "fp-b", t0 + 1s)).kind,
            ClaimKind::kMismatch);
  EXPECT_EQ(store_->claim_idempotency_key(key_claim("k2", "fp-a", t0 + 1s)).kind,
            ClaimKind::kNew);  // another key

  ASSERT_TRUE(store_->complete_idempotency_key(
      "k1", first.generation,
      {200, R"({"id":1,"secretHmac":"bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB"})"}));
  EXPECT_FALSE(store_->complete_idempotency_key("k1", first.generation, {500, "again"}));
  const auto second = open();
  for (Store* s : {store_.get(), second.get()}) {  // this process, and a second one
    const auto replay = s->claim_idempotency_key(key_claim("k1", "fp-a", t0 + 2s));
    ASSERT_EQ(replay.kind, ClaimKind::kReplay);
    ASSERT_TRUE(replay.answer);
    EXPECT_EQ(replay.answer->status, 200);
    EXPECT_EQ(replay.answer->body, R"({"id":1,"secretHmac":"bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB"})");
    EXPECT_EQ(s->claim_idempotency_key(key_claim("k1", "fp-b", t0 + 2s)).kind,
              ClaimKind::kMismatch);
  }
}

TEST_P(StoreContractTest, AStoredAnswerIsSealedForItsKeyAndTheKeyIsOnlyItsHash) {
  const TimePoint t0 = clock_.now();
  const auto claim = store_->claim_idempotency_key(key_claim("hash-of-k1", "fp", t0));
  ASSERT_TRUE(store_->complete_idempotency_key("hash-of-k1", claim.generation,
                                               {200, R"({"secretHmac":"plainSecretInAnAnswer"})"}));
  const std::string url =
      GetParam() == Backend::kPostgres ? postgres_->url() : "sqlite://" + dir_.file("store.db");
  auto reader = hookd::testing::open_database_reader(url);
  const auto hashes = reader->rows("SELECT key_hash FROM idempotency_keys");
  const auto bodies = reader->rows("SELECT body FROM idempotency_keys");
  ASSERT_EQ(hashes, (std::vector<std::string>{"hash-of-k1|"}));
  ASSERT_EQ(bodies.size(), 1u);
  const std::string sealed = bodies[0].substr(0, bodies[0].size() - 1);
  EXPECT_TRUE(security::KeyRing::is_sealed(sealed)) << sealed;
  EXPECT_EQ(sealed.find("plainSecretInAnAnswer"), std::string::npos);
  // Sealed for its row: moved to another key's row, it does not open.
  const auto other = store_->claim_idempotency_key(key_claim("hash-of-k2", "fp", t0));
  ASSERT_TRUE(store_->complete_idempotency_key("hash-of-k2", other.generation, {200, "{}"}));
  if (GetParam() == Backend::kPostgres) {
    postgres::Connection c(postgres_->url(), {});
    c.exec("UPDATE idempotency_keys SET body = $1 WHERE key_hash = 'hash-of-k2'",
           postgres::Params().add(sealed));
  } else {
    sqlite::Connection c(dir_.file("store.db"));
    c.prepare("UPDATE idempotency_keys SET body = ?1 WHERE key_hash = 'hash-of-k2'")
        .bind(1, std::string_view(sealed))
        .run();
  }
  EXPECT_THROW(store_->claim_idempotency_key(key_claim("hash-of-k2", "fp", t0)), SecretUnavailable);
}

TEST_P(StoreContractTest, AnIdempotencyKeyIsFreeAgainOnceItExpires) {
  const TimePoint t0 = clock_.now();
  const auto first = store_->claim_idempotency_key(key_claim("k1", "fp-a", t0));
  ASSERT_TRUE(store_->complete_idempotency_key("k1", first.generation, {202, "first"}));
  EXPECT_EQ(store_->claim_idempotency_key(key_claim("k1", "fp-a", t0 + 24h - 1s)).kind,
            ClaimKind::kReplay);
  // 24 h after its first use the key is new, for any request.
  const auto again = store_->claim_idempotency_key(key_claim("k1", "fp-b", t0 + 24h));
  ASSERT_EQ(again.kind, ClaimKind::kNew);
  EXPECT_NE(again.generation, first.generation);
  ASSERT_TRUE(store_->complete_idempotency_key("k1", again.generation, {202, "second"}));
  EXPECT_EQ(store_->claim_idempotency_key(key_claim("k1", "fp-b", t0 + 25h)).answer->body,
            "second");
}

TEST_P(StoreContractTest, TheRetentionPurgerDeletesExpiredIdempotencyKeys) {
  const TimePoint t0 = clock_.now();
  for (const char* key : {"old-1", "old-2", "old-running"}) {
    const auto c = store_->claim_idempotency_key(key_claim(key, "fp", t0));
    if (std::string_view(key) != "old-running") {
      store_->complete_idempotency_key(key, c.generation, {200, "{}"});
    }
  }
  const auto recent = store_->claim_idempotency_key(key_claim("recent", "fp", t0 + 2h));
  store_->complete_idempotency_key("recent", recent.generation, {200, "{}"});

  clock_.set(t0 + 25h);
  delivery::RetentionPurger purger(*store_, clock_, 30 * 24h, 2);  // two per batch
  EXPECT_EQ(purger.purge_once().idempotency_keys, 3);
  EXPECT_EQ(store_->claim_idempotency_key(key_claim("recent", "fp", t0 + 25h)).kind,
            ClaimKind::kReplay);
  EXPECT_EQ(store_->purge_idempotency_keys(t0 + 25h, 10), 0);
  EXPECT_EQ(store_->purge_idempotency_keys(t0 + 26h, 10), 1);
}

TEST_P(StoreContractTest, AnUnfinishedClaimIsTakenOverOnceItsBoundPasses) {
  const TimePoint t0 = clock_.now();
  const auto dead = store_->claim_idempotency_key(key_claim("k1", "fp-a", t0));
  ASSERT_EQ(dead.kind, ClaimKind::kNew);
  EXPECT_EQ(store_->claim_idempotency_key(key_claim("k1", "fp-a", t0 + 59s)).kind,
            ClaimKind::kRunning);
  // Past the bound another request is still another request.
  EXPECT_EQ(store_->claim_idempotency_key(key_claim("k1", "fp-b", t0 + 60s)).kind,
            ClaimKind::kMismatch);
  const auto taken = store_->claim_idempotency_key(key_claim("k1", "fp-a", t0 + 60s));
  ASSERT_EQ(taken.kind, ClaimKind::kNew);
  EXPECT_NE(taken.generation, dead.generation);
  // The first claim, finishing late, neither answers for the key nor frees it.
  EXPECT_FALSE(store_->complete_idempotency_key("k1", dead.generation, {200, "late"}));
  store_->release_idempotency_key("k1", dead.generation);
  EXPECT_EQ(store_->claim_idempotency_key(key_claim("k1", "fp-a", t0 + 61s)).kind,
            ClaimKind::kRunning);
  ASSERT_TRUE(store_->complete_idempotency_key("k1", taken.generation, {200, "taken over"}));
  EXPECT_EQ(store_->claim_idempotency_key(key_claim("k1", "fp-a", t0 + 62s)).answer->body,
            "taken over");
}

TEST_P(StoreContractTest, AReleasedIdempotencyKeyCanBeClaimedAgain) {
  const TimePoint t0 = clock_.now();
  const auto first = store_->claim_idempotency_key(key_claim("k1", "fp-a", t0));
  store_->release_idempotency_key("k1", first.generation);
  const auto second = store_->claim_idempotency_key(key_claim("k1", "fp-b", t0 + 1s));
  EXPECT_EQ(second.kind, ClaimKind::kNew);
  // A completed key is not released.
  ASSERT_TRUE(store_->complete_idempotency_key("k1", second.generation, {404, "not found"}));
  store_->release_idempotency_key("k1", second.generation);
  const auto replay = store_->claim_idempotency_key(key_claim("k1", "fp-b", t0 + 2s));
  ASSERT_EQ(replay.kind, ClaimKind::kReplay);
  EXPECT_EQ(replay.answer->status, 404);
}

// Two processes (stores) and several threads each claim one key at once: one holds it.
TEST_P(StoreContractTest, ConcurrentClaimsOnOneKeyLetOneThrough) {
  auto second = open();
  for (int round = 0; round < 5; ++round) {
    const std::string key = "race-" + std::to_string(round);
    const TimePoint t0 = clock_.now();
    std::atomic<bool> go{false};
    std::atomic<int> fresh{0}, running{0};
    std::vector<std::thread> claimers;
    for (int t = 0; t < 8; ++t) {
      Store* s = t % 2 == 0 ? store_.get() : second.get();
      claimers.emplace_back([&, s] {
        while (!go.load()) std::this_thread::yield();
        const auto c = s->claim_idempotency_key(key_claim(key, "fp", t0));
        if (c.kind == ClaimKind::kNew) ++fresh;
        if (c.kind == ClaimKind::kRunning) ++running;
      });
    }
    go = true;
    for (std::thread& t : claimers) t.join();
    EXPECT_EQ(fresh.load(), 1) << key;
    EXPECT_EQ(running.load(), 7) << key;
  }
}

// Claims and records at once, as the dispatcher's two threads run them: a delivery whose
// success is recorded is never claimed again, whatever a claim's snapshot saw when the record
// ended its lease.
TEST_P(StoreContractTest, ARecordedDeliveryIsNotClaimedAgainByAClaimRunningMeanwhile) {
  create(webhook({85}));
  const TimePoint t0 = clock_.now();
  constexpr int kDeliveries = 3000;
  std::vector<domain::Event> events;
  for (int i = 0; i < kDeliveries; ++i) events.push_back(event(85, Topic::kDeviceStatus, t0));
  for (size_t i = 0; i < events.size(); i += 500) {
    ingest(std::vector<domain::Event>(events.begin() + static_cast<std::ptrdiff_t>(i),
                                      events.begin() + static_cast<std::ptrdiff_t>(i + 500)),
           t0);
  }
  std::mutex mutex;
  std::vector<ClaimedDelivery> to_record;
  std::map<domain::DeliveryId, int> claims;
  std::atomic<bool> done{false};
  std::thread claimer([&] {
    while (!done.load()) {
      auto claimed = store_->claim_due("t", t0, t0 + 30s, 50, 100000, {});
      std::lock_guard lock(mutex);
      for (auto& d : claimed) {
        ++claims[d.id];
        to_record.push_back(std::move(d));
      }
    }
  });
  size_t recorded = 0;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (recorded < kDeliveries && std::chrono::steady_clock::now() < deadline) {
    std::vector<ClaimedDelivery> batch;
    {
      std::lock_guard lock(mutex);
      batch.swap(to_record);
    }
    std::vector<AttemptRecord> records;
    for (const auto& d : batch)
      records.push_back(attempt_record(d, DeliveryStatus::kSucceeded, t0));
    store_->record_attempts(records, t0, 24h);
    recorded += records.size();
  }
  done = true;
  claimer.join();
  EXPECT_EQ(recorded, static_cast<size_t>(kDeliveries));
  EXPECT_EQ(claims.size(), static_cast<size_t>(kDeliveries));
  int again = 0;
  for (const auto& [id, n] : claims) again += n - 1;
  EXPECT_EQ(again, 0) << "deliveries claimed again after their success was recorded";
  EXPECT_EQ(store_->queue_stats().pending, 0);
}

// A request whose deliveries pass one commit's bound is stored in parts; each part holds
// whole events, and a resumed request is not checked for devices again.
TEST_P(StoreContractTest, IngestionStopsAtTheDeliveryBoundAndResumes) {
  const TimePoint t0 = clock_.now();
  create(webhook());
  create(webhook({85}));
  create(webhook({}, {1}));  // 85 and 86
  IngestRequest large;
  for (int i = 0; i < 4; ++i) large.events.push_back(event(85, Topic::kDeviceStatus, t0));
  IngestRequest next;
  next.events = {event(86, Topic::kDeviceStatus, t0)};
  // 3 deliveries per event: the bound of 5 is reached by the second.
  auto parts = store_->ingest({&large, &next}, t0, 5);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_TRUE(parts[0].ok);
  ASSERT_EQ(parts[0].events.size(), 2u);
  EXPECT_EQ(parts[0].events[0].deliveries, 3);
  EXPECT_TRUE(parts[1].ok);
  EXPECT_TRUE(parts[1].events.empty());  // waits for the next commit
  EXPECT_EQ(store_->queue_stats().pending, 6);

  large.resume_at = 2;
  // `next` is new, so its device is checked now, and it goes first.
  parts = store_->ingest({&next, &large}, t0, 5);
  ASSERT_EQ(parts[0].events.size(), 1u);
  EXPECT_EQ(parts[0].events[0].deliveries, 2);  // organization-wide and group 1
  ASSERT_EQ(parts[1].events.size(), 1u);        // 2 + 3 reach the bound
  EXPECT_EQ(store_->queue_stats().pending, 6 + 2 + 3);

  // A device gone between parts matches nothing: its event is answered with no deliveries.
  large.resume_at = 3;
  ASSERT_TRUE(store_->delete_device(85));
  parts = store_->ingest({&large}, t0, 5);
  ASSERT_TRUE(parts[0].ok);
  ASSERT_EQ(parts[0].events.size(), 1u);
  EXPECT_EQ(parts[0].events[0].deliveries, 0);
}

// Duplicates make no deliveries, so they take no room in a bounded commit; a producer id
// repeated within one commit is a duplicate of whichever event holds it.
TEST_P(StoreContractTest, DuplicatesTakeNoRoomInABoundedCommit) {
  const TimePoint t0 = clock_.now();
  create(webhook());
  const auto first = ingest({event(85, Topic::kDeviceStatus, t0, "p-1")}, t0);
  IngestRequest repeats;
  repeats.events = {event(85, Topic::kDeviceStatus, t0, "p-1"),
                    event(86, Topic::kDeviceStatus, t0, "p-2"),
                    event(86, Topic::kDeviceStatus, t0, "p-1")};
  IngestRequest more;
  more.events = {event(87, Topic::kDeviceStatus, t0, "p-2"), event(87, Topic::kDeviceStatus, t0),
                 event(85, Topic::kDeviceStatus, t0), event(86, Topic::kDeviceStatus, t0)};
  // One delivery per stored event: the bound of 3 is reached by the third stored, the
  // request's sixth event.
  const auto parts = store_->ingest({&repeats, &more}, t0 + 1h, 3);
  ASSERT_EQ(parts.size(), 2u);
  ASSERT_EQ(parts[0].events.size(), 3u);
  EXPECT_TRUE(parts[0].events[0].duplicate);
  EXPECT_EQ(parts[0].events[0].id, first.events[0].id);
  EXPECT_EQ(parts[0].events[0].deliveries, 0);
  EXPECT_FALSE(parts[0].events[1].duplicate);
  EXPECT_EQ(parts[0].events[1].deliveries, 1);
  EXPECT_TRUE(parts[0].events[2].duplicate);
  EXPECT_EQ(parts[0].events[2].id, first.events[0].id);
  ASSERT_EQ(parts[1].events.size(), 3u);
  EXPECT_TRUE(parts[1].events[0].duplicate);
  EXPECT_EQ(parts[1].events[0].id, parts[0].events[1].id);
  EXPECT_FALSE(parts[1].events[1].duplicate);
  EXPECT_FALSE(parts[1].events[2].duplicate);
  EXPECT_EQ(store_->queue_stats().pending, 1 + 3);
}

TEST_P(StoreContractTest, PendingMigrationsAreAllOfThemOnAFreshDatabaseAndNoneOnceMigrated) {
  EXPECT_TRUE(store_->pending_migrations().empty());
  std::unique_ptr<hookd::testing::PostgresTestDatabase> fresh_database;
  std::unique_ptr<Store> fresh;
  if (GetParam() == Backend::kPostgres) {
    fresh_database = std::make_unique<hookd::testing::PostgresTestDatabase>();
    fresh = std::make_unique<postgres::PostgresStore>(fresh_database->url(), clock_);
  } else {
    fresh = std::make_unique<sqlite::SqliteStore>(dir_.file("fresh.db"), clock_);
  }
  const std::vector<int> pending = fresh->pending_migrations();
  ASSERT_FALSE(pending.empty());
  EXPECT_EQ(pending.front(), 1);
  EXPECT_EQ(fresh->pending_migrations(), pending);  // asking applies nothing
  fresh->migrate();
  EXPECT_TRUE(fresh->pending_migrations().empty());
}

}  // namespace
}  // namespace hookd::store
