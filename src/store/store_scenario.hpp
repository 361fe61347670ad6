#pragma once

// What the store tests of every backend are written with: a clock they set, the seed's
// tenants, and helpers for webhooks, events, claims and attempts. Test code only.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "security/secret_box.hpp"
#include "store/store.hpp"
#include "support/manual_clock.hpp"

namespace hookd::store::test_support {

// The backends a store test runs on, named for gtest.
enum class Backend { kSqlite, kPostgres };

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

// One key for every store a test process opens, so that two stores on one database (a second
// process) open each other's secrets.
inline const security::SecretKey& test_key() {
  static const security::SecretKey key = security::generate_secret_key();
  return key;
}

inline std::shared_ptr<const security::KeyRing> test_key_ring() {
  static const auto ring =
      std::make_shared<const security::KeyRing>(std::vector<security::SecretKey>{test_key()});
  return ring;
}

template <typename S>
std::unique_ptr<S> with_test_key_ring(std::unique_ptr<S> store) {
  store->use_key_ring(test_key_ring());
  return store;
}

using hookd::testing::ManualClock;

// Mixed into a store test fixture, which names the store under test.
class StoreScenario {
 protected:
  virtual ~StoreScenario() = default;
  virtual Store& subject() = 0;

  // Organization 6 with devices 85-87 and group 1 {85, 86}; organization 7 with device 90.
  void put_tenants() {
    Store& s = subject();
    s.put_organization({6, "org"});
    s.put_organization({7, "other org"});
    for (domain::DeviceId d : {85, 86, 87}) {
      ASSERT_EQ(s.put_device({d, 6, "lock"}).kind, PutOutcome::Kind::kOk);
    }
    ASSERT_EQ(s.put_device({90, 7, "lock"}).kind, PutOutcome::Kind::kOk);
    ASSERT_EQ(s.put_device_group({1, 6, "entrances", {85, 86}}).kind, PutOutcome::Kind::kOk);
  }

  domain::Webhook webhook(std::vector<domain::DeviceId> devices = {},
                          std::vector<domain::DeviceGroupId> groups = {},
                          std::vector<domain::Topic> topics = {domain::Topic::kDeviceStatus},
                          domain::OrganizationId org = 6) const {
    domain::Webhook w;
    w.organization_id = org;
    w.device_ids = std::move(devices);
    w.device_group_ids = std::move(groups);
    w.url = "https://example.com/hook";
    for (domain::Topic t : topics) w.topics.add(t);
    w.secret_hmac = "bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB";
    w.created_at = w.modified_at = clock_.now();
    return w;
  }

  domain::WebhookId create(const domain::Webhook& w) { return subject().create_webhook(w).id; }

  static domain::Event event(domain::DeviceId device, domain::Topic topic, TimePoint at,
                             std::optional<std::string> producer_id = std::nullopt) {
    domain::Event e;
    e.id = domain::new_event_id();
    e.producer_id = std::move(producer_id);
    e.device_id = device;
    e.topic = topic;
    e.time = at;
    e.data_json = R"({"level":3})";
    return e;
  }

  IngestOutcome ingest(std::vector<domain::Event> events, TimePoint at) {
    IngestRequest request;
    request.events = std::move(events);
    return subject().ingest({&request}, at).at(0);
  }

  // Ingests one status event of device 85 at `at`; returns its delivery after claiming it.
  ClaimedDelivery ingest_and_claim(TimePoint at) {
    using namespace std::chrono_literals;
    clock_.set(at);
    const auto outcome = ingest({event(85, domain::Topic::kDeviceStatus, at)}, at);
    EXPECT_EQ(outcome.events.at(0).deliveries, 1);
    auto claimed = subject().claim_due("test", at, at + 30s, 10, 16, {});
    EXPECT_EQ(claimed.size(), 1u);
    return claimed.at(0);
  }

  // Records attempt `attempt` of `d` as ending in `status` (pending: retried in a year).
  void finish(const ClaimedDelivery& d, domain::DeliveryStatus status, TimePoint at,
              int attempt = 1, std::optional<int> code = std::nullopt) {
    using namespace std::chrono_literals;
    subject().record_attempts({attempt_record(d, status, at, attempt, code)}, at, 24h * 365);
  }

  // Attempt `attempt` of `d`, ending in `status` (pending: retried in a year), as recorded.
  static AttemptRecord attempt_record(const ClaimedDelivery& d, domain::DeliveryStatus status,
                                      TimePoint at, int attempt = 1,
                                      std::optional<int> code = std::nullopt) {
    using namespace std::chrono_literals;
    AttemptRecord r;
    r.delivery_id = d.id;
    r.webhook_id = d.webhook_id;
    r.attempt = attempt;
    r.result.at = at;
    r.result.status_code =
        code ? *code : (status == domain::DeliveryStatus::kSucceeded ? 200 : 500);
    r.new_status = status;
    if (status == domain::DeliveryStatus::kPending) r.next_attempt_at = at + 24h * 365;
    return r;
  }

  ManualClock clock_;
};

}  // namespace hookd::store::test_support
