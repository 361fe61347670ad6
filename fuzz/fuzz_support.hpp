#pragma once

// What several fuzz targets share: an invariant check that stops the run, and an API context
// whose store knows every organization, device and group, so that a route reaches its body
// validation and nothing else decides the answer.

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "api/context.hpp"
#include "api/errors.hpp"
#include "http/message.hpp"
#include "security/destination_guard.hpp"
#include "store/store.hpp"

// An invariant broken: libFuzzer keeps the input as a crash artifact.
#define FUZZ_CHECK(cond)                                                                \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

namespace hookd::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A body validator may only refuse a body as a client error; anything else (a 500) is a bug.
inline void check_client_error(const api::ApiError& e) {
  FUZZ_CHECK(e.status == 400);
  FUZZ_CHECK(!e.code.empty());
  FUZZ_CHECK(!e.message.render(api::Language::kEn).empty());
}

// Every lookup succeeds; writes are remembered so that a target can check what reached the
// store.
class AcceptingStore final : public store::Store {
 public:
  static constexpr domain::OrganizationId kOrganization = 6;

  std::optional<domain::Device> last_device;
  std::optional<domain::DeviceGroup> last_group;
  std::optional<domain::Organization> last_organization;
  std::optional<TimePoint> last_recover_since;

  void migrate() override {}
  std::vector<int> pending_migrations() override { return {}; }
  bool ping() override { return true; }
  domain::TokenId create_token(domain::Role, std::optional<domain::OrganizationId>,
                               std::string_view) override {
    return 1;
  }
  domain::TokenId create_portal_session(domain::Role, domain::OrganizationId, std::string_view,
                                        TimePoint) override {
    return 1;
  }
  std::optional<store::TokenRecord> find_active_token(std::string_view) override {
    return std::nullopt;
  }
  bool revoke_token(domain::TokenId) override { return true; }
  bool put_organization(const domain::Organization& o) override {
    last_organization = o;
    return true;
  }
  bool organization_exists(domain::OrganizationId) override { return true; }
  store::PutOutcome put_device(const domain::Device& d) override {
    last_device = d;
    return {};
  }
  bool delete_device(domain::DeviceId) override { return true; }
  store::PutOutcome put_device_group(const domain::DeviceGroup& g) override {
    last_group = g;
    return {};
  }
  bool delete_device_group(domain::DeviceGroupId) override { return true; }
  std::optional<domain::DeviceId> first_missing_device(
      domain::OrganizationId, const std::vector<domain::DeviceId>&) override {
    return std::nullopt;
  }
  std::optional<domain::DeviceGroupId> first_missing_device_group(
      domain::OrganizationId, const std::vector<domain::DeviceGroupId>&) override {
    return std::nullopt;
  }
  domain::Webhook create_webhook(const domain::Webhook& w) override { return w; }
  std::optional<domain::Webhook> find_webhook(domain::WebhookId id) override {
    domain::Webhook w;
    w.id = id;
    w.organization_id = kOrganization;
    return w;
  }
  std::vector<domain::Webhook> list_webhooks(const store::WebhookQuery&) override { return {}; }
  bool update_webhook(const domain::Webhook&) override { return true; }
  bool delete_webhook(domain::WebhookId) override { return true; }
  std::vector<store::StoredSecret> stored_secrets(store::SecretField,
                                                  const std::optional<store::StoredSecret>&,
                                                  size_t) override {
    return {};
  }
  size_t replace_stored_secrets(const std::vector<store::SecretReplacement>&) override { return 0; }
  int64_t forget_expired_secrets(TimePoint) override { return 0; }
  std::vector<store::IngestOutcome> ingest(const std::vector<const store::IngestRequest*>&,
                                           TimePoint, size_t, store::HandOffRoom*) override {
    return {};
  }
  std::vector<store::ClaimedDelivery> claim_due(
      std::string_view, TimePoint, TimePoint, size_t, size_t,
      const std::map<domain::WebhookId, size_t>&) override {
    return {};
  }
  std::optional<TimePoint> next_due() override { return std::nullopt; }
  void record_attempts(const std::vector<store::AttemptRecord>&, TimePoint,
                       std::chrono::milliseconds) override {}
  void release_all_leases() override {}
  store::PurgeResult purge(TimePoint, TimePoint, size_t) override { return {}; }
  store::IdempotencyClaim claim_idempotency_key(const store::IdempotencyRequest&) override {
    return {};
  }
  bool complete_idempotency_key(std::string_view, int64_t, const store::StoredAnswer&) override {
    return true;
  }
  void release_idempotency_key(std::string_view, int64_t) override {}
  int64_t purge_idempotency_keys(TimePoint, size_t) override { return 0; }
  store::QueueStats queue_stats() override { return {}; }
  std::vector<store::DeliverySummary> list_deliveries(const store::DeliveryQuery&) override {
    return {};
  }
  std::optional<store::DeliveryDetail> find_delivery(domain::WebhookId,
                                                     domain::DeliveryId) override {
    return std::nullopt;
  }
  bool retry_delivery(domain::WebhookId, domain::DeliveryId, TimePoint) override { return true; }
  int64_t recover_deliveries(domain::WebhookId, TimePoint since, TimePoint) override {
    last_recover_since = since;
    return 0;
  }
  bool rotate_secret(domain::WebhookId, const std::string&, TimePoint, TimePoint) override {
    return true;
  }
  bool queue_test_event(domain::WebhookId, const domain::Event&, TimePoint) override {
    return true;
  }
};

class FixedClock final : public Clock {
 public:
  TimePoint now() const override { return from_unix_micros(1'795'935'966'000'000); }
};

// A fresh store per input, the rest built once.
struct ApiFixture {
  AcceptingStore store;
  FixedClock clock;
  security::DestinationGuard guard;
  api::ApiContext context{store, clock, guard};
};

// Runs a route on a fuzzed body: its answer, or nothing when it refused the body (as a client
// error, checked here).
template <class Route>
std::optional<http::Response> run_route(std::string method, const uint8_t* data, size_t size,
                                        Route&& route) {
  http::Request req;
  req.method = std::move(method);
  req.body.assign(as_text(data, size));
  try {
    return route(req);
  } catch (const api::ApiError& e) {
    check_client_error(e);
    return std::nullopt;
  }
}

}  // namespace hookd::fuzz
