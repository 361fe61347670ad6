// Matching reads webhooks and devices from memory; every change that can alter what an event
// matches must be seen by the very next ingestion, also when another store (another hookd
// process) made it. Each test writes through one store and ingests through a second one on
// the same database: two SqliteStores on one file, two PostgresStores on one database (when
// HOOKD_TEST_POSTGRES_URL names a server; skipped otherwise).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"
#include "store/store_scenario.hpp"
#include "support/postgres_test_database.hpp"
#include "support/temp_dir.hpp"

namespace hookd::store {
namespace {

using namespace std::chrono_literals;
using domain::DeliveryStatus;
using domain::Topic;

using test_support::Backend;

class MatchingFreshnessTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      const std::string path = dir_.file("store.db");
      writer_ = test_support::with_test_key_ring(std::make_unique<sqlite::SqliteStore>(path));
      writer_->migrate();
      ingester_ = test_support::with_test_key_ring(std::make_unique<sqlite::SqliteStore>(path));
    } else {
      if (!hookd::testing::test_postgres_server_url()) {
        GTEST_SKIP() << "HOOKD_TEST_POSTGRES_URL is not set";
      }
      postgres_ = std::make_unique<hookd::testing::PostgresTestDatabase>();
      writer_ = test_support::with_test_key_ring(
          std::make_unique<postgres::PostgresStore>(postgres_->url()));
      writer_->migrate();
      ingester_ = test_support::with_test_key_ring(
          std::make_unique<postgres::PostgresStore>(postgres_->url()));
    }
    writer_->put_organization({6, "org"});
    writer_->put_organization({7, "other org"});
    for (domain::DeviceId d : {85, 86, 87}) {
      ASSERT_EQ(writer_->put_device({d, 6, "lock"}).kind, PutOutcome::Kind::kOk);
    }
    ASSERT_EQ(writer_->put_device_group({1, 6, "entrances", {85}}).kind, PutOutcome::Kind::kOk);
  }

  void TearDown() override {
    writer_.reset();
    ingester_.reset();
    postgres_.reset();  // after the stores that use it
  }

  domain::Webhook webhook(std::vector<domain::DeviceId> devices,
                          std::vector<domain::DeviceGroupId> groups,
                          domain::OrganizationId org = 6) {
    domain::Webhook w;
    w.organization_id = org;
    w.device_ids = std::move(devices);
    w.device_group_ids = std::move(groups);
    w.url = "https://example.com/hook";
    w.topics.add(Topic::kDeviceStatus);
    w.secret_hmac = "bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB";
    w.created_at = w.modified_at = SystemClock().now();
    return w;
  }

  // Ingests one status event of `device` through the second store; returns its deliveries.
  int64_t deliveries_for(domain::DeviceId device, Topic topic = Topic::kDeviceStatus) {
    IngestRequest request;
    domain::Event e;
    e.id = domain::new_event_id();
    e.device_id = device;
    e.topic = topic;
    e.time = SystemClock().now();
    e.data_json = "{}";
    request.events.push_back(e);
    const auto outcome = ingester_->ingest({&request}, SystemClock().now()).at(0);
    EXPECT_TRUE(outcome.ok);
    return outcome.ok ? outcome.events.at(0).deliveries : -1;
  }

  // The status of the newest delivery of `webhook`.
  DeliveryStatus last_status(domain::WebhookId webhook) {
    const auto list = writer_->list_deliveries({webhook, std::nullopt, 0, 1});
    EXPECT_FALSE(list.empty());
    return list.empty() ? DeliveryStatus::kFailed : list[0].status;
  }

  testing::TempDir dir_;
  std::unique_ptr<hookd::testing::PostgresTestDatabase> postgres_;
  std::unique_ptr<Store> writer_;
  std::unique_ptr<Store> ingester_;
};

// A process loads matching at start; what changes after that is still seen.
TEST_P(MatchingFreshnessTest, ChangesAfterTheLoadAtStartAreSeen) {
  writer_->create_webhook(webhook({85}, {}));
  ingester_->prepare_ingestion();
  EXPECT_EQ(deliveries_for(85), 1);
  writer_->create_webhook(webhook({}, {1}));
  writer_->put_device_group({1, 6, "entrances", {85, 86}});
  EXPECT_EQ(deliveries_for(86), 1);
  EXPECT_EQ(deliveries_for(85), 2);
}

TEST_P(MatchingFreshnessTest, ACreatedWebhookGetsTheNextEvent) {
  EXPECT_EQ(deliveries_for(85), 0);  // the ingesting store has loaded its index
  writer_->create_webhook(webhook({85}, {}));
  EXPECT_EQ(deliveries_for(85), 1);
  writer_->create_webhook(webhook({}, {1}));
  EXPECT_EQ(deliveries_for(85), 2);
  writer_->create_webhook(webhook({}, {}));  // organization-wide
  EXPECT_EQ(deliveries_for(85), 3);
  EXPECT_EQ(deliveries_for(86), 1);
  writer_->create_webhook(webhook({}, {}, 7));  // another organization's
  EXPECT_EQ(deliveries_for(86), 1);
}

TEST_P(MatchingFreshnessTest, AnUpdatedWebhookMatchesByItsNewTopicsAndDevices) {
  auto w = writer_->create_webhook(webhook({85}, {}));
  EXPECT_EQ(deliveries_for(85), 1);
  w.topics = domain::TopicSet();
  w.topics.add(Topic::kDeviceTamper);
  ASSERT_TRUE(writer_->update_webhook(w));
  EXPECT_EQ(deliveries_for(85), 0);
  EXPECT_EQ(deliveries_for(85, Topic::kDeviceTamper), 1);
  w.device_ids = {86};
  ASSERT_TRUE(writer_->update_webhook(w));
  EXPECT_EQ(deliveries_for(85, Topic::kDeviceTamper), 0);
  EXPECT_EQ(deliveries_for(86, Topic::kDeviceTamper), 1);
  w.device_ids = {};
  w.device_group_ids = {1};
  ASSERT_TRUE(writer_->update_webhook(w));
  EXPECT_EQ(deliveries_for(86, Topic::kDeviceTamper), 0);
  EXPECT_EQ(deliveries_for(85, Topic::kDeviceTamper), 1);
  w.device_group_ids = {};  // organization-wide now
  ASSERT_TRUE(writer_->update_webhook(w));
  EXPECT_EQ(deliveries_for(87, Topic::kDeviceTamper), 1);
}

TEST_P(MatchingFreshnessTest, ADisabledWebhookGetsSkippedDeliveriesUntilEnabledAgain) {
  auto w = writer_->create_webhook(webhook({85}, {}));
  EXPECT_EQ(deliveries_for(85), 1);
  EXPECT_EQ(last_status(w.id), DeliveryStatus::kPending);
  w.status = domain::WebhookStatus::kDisabled;
  ASSERT_TRUE(writer_->update_webhook(w));
  EXPECT_EQ(deliveries_for(85), 1);
  EXPECT_EQ(last_status(w.id), DeliveryStatus::kSkipped);
  w.status = domain::WebhookStatus::kEnabled;
  ASSERT_TRUE(writer_->update_webhook(w));
  EXPECT_EQ(deliveries_for(85), 1);
  EXPECT_EQ(last_status(w.id), DeliveryStatus::kPending);
}

TEST_P(MatchingFreshnessTest, AWebhookDisabledByItsReceiverGetsSkippedDeliveries) {
  const auto w = writer_->create_webhook(webhook({85}, {}));
  EXPECT_EQ(deliveries_for(85), 1);
  const TimePoint now = SystemClock().now();
  const auto claimed = writer_->claim_due("worker", now, now + 30s, 10, 16, {});
  ASSERT_EQ(claimed.size(), 1u);
  AttemptRecord gone;
  gone.delivery_id = claimed[0].id;
  gone.webhook_id = w.id;
  gone.attempt = 1;
  gone.result.at = now;
  gone.result.status_code = 410;
  gone.new_status = DeliveryStatus::kFailed;
  gone.disable_webhook = true;
  writer_->record_attempts({gone}, now, 24h);
  ASSERT_EQ(writer_->find_webhook(w.id)->status, domain::WebhookStatus::kDisabled);
  EXPECT_EQ(deliveries_for(85), 1);
  EXPECT_EQ(last_status(w.id), DeliveryStatus::kSkipped);
}

TEST_P(MatchingFreshnessTest, ADeletedWebhookGetsNothing) {
  const auto by_device = writer_->create_webhook(webhook({85}, {}));
  const auto org_wide = writer_->create_webhook(webhook({}, {}));
  EXPECT_EQ(deliveries_for(85), 2);
  ASSERT_TRUE(writer_->delete_webhook(by_device.id));
  EXPECT_EQ(deliveries_for(85), 1);
  ASSERT_TRUE(writer_->delete_webhook(org_wide.id));
  EXPECT_EQ(deliveries_for(85), 0);
}

TEST_P(MatchingFreshnessTest, ADeviceJoiningOrLeavingAGroupStartsOrStopsReceiving) {
  writer_->create_webhook(webhook({}, {1}));
  EXPECT_EQ(deliveries_for(85), 1);
  EXPECT_EQ(deliveries_for(86), 0);
  ASSERT_EQ(writer_->put_device_group({1, 6, "entrances", {86}}).kind, PutOutcome::Kind::kOk);
  EXPECT_EQ(deliveries_for(86), 1);
  EXPECT_EQ(deliveries_for(85), 0);
}

TEST_P(MatchingFreshnessTest, ADeviceMovedToAnotherOrganizationLeavesItsWebhooks) {
  writer_->create_webhook(webhook({85}, {}));
  writer_->create_webhook(webhook({}, {1}));
  writer_->create_webhook(webhook({}, {}));
  writer_->create_webhook(webhook({}, {}, 7));
  EXPECT_EQ(deliveries_for(85), 3);
  ASSERT_EQ(writer_->put_device({85, 7, "lock"}).kind, PutOutcome::Kind::kOk);
  EXPECT_EQ(deliveries_for(85), 1);  // organization 7's organization-wide webhook alone
  ASSERT_EQ(writer_->put_device({85, 6, "lock"}).kind, PutOutcome::Kind::kOk);
  EXPECT_EQ(deliveries_for(85), 1);  // back: organization-wide only, it was taken off the lists
}

TEST_P(MatchingFreshnessTest, ADeletedGroupCoversNoDevice) {
  const auto w = writer_->create_webhook(webhook({}, {1}));
  EXPECT_EQ(deliveries_for(85), 1);
  ASSERT_TRUE(writer_->delete_device_group(1));
  EXPECT_EQ(deliveries_for(85), 0);
  EXPECT_EQ(deliveries_for(86), 0);  // the webhook did not become organization-wide
  ASSERT_TRUE(writer_->find_webhook(w.id));
}

TEST_P(MatchingFreshnessTest, ADeletedAndRecreatedDeviceIsNoLongerNamed) {
  writer_->create_webhook(webhook({85, 86}, {}));
  EXPECT_EQ(deliveries_for(85), 1);
  ASSERT_TRUE(writer_->delete_device(85));
  ASSERT_EQ(writer_->put_device({85, 6, "lock"}).kind, PutOutcome::Kind::kOk);
  EXPECT_EQ(deliveries_for(85), 0);
  EXPECT_EQ(deliveries_for(86), 1);
}

TEST_P(MatchingFreshnessTest, ANewDeviceIsAcceptedAndADeletedOneRefusedAtOnce) {
  writer_->create_webhook(webhook({}, {}));
  EXPECT_EQ(deliveries_for(85), 1);
  ASSERT_EQ(writer_->put_device({88, 6, "lock"}).kind, PutOutcome::Kind::kOk);
  EXPECT_EQ(deliveries_for(88), 1);
  ASSERT_TRUE(writer_->delete_device(88));
  IngestRequest request;
  domain::Event e;
  e.id = domain::new_event_id();
  e.device_id = 88;
  e.topic = Topic::kDeviceStatus;
  e.time = SystemClock().now();
  e.data_json = "{}";
  request.events.push_back(e);
  const auto outcome = ingester_->ingest({&request}, SystemClock().now()).at(0);
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.missing_device, 88);
}

TEST_P(MatchingFreshnessTest, AStoreOpenedLaterLoadsEveryWebhook) {
  writer_->create_webhook(webhook({85}, {}));
  writer_->create_webhook(webhook({}, {1}));
  writer_->create_webhook(webhook({}, {}));
  EXPECT_EQ(deliveries_for(85), 3);  // the first ingest of this store loads the index
  EXPECT_EQ(deliveries_for(86), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, MatchingFreshnessTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         test_support::backend_name);

}  // namespace
}  // namespace hookd::store
