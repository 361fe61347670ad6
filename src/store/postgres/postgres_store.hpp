#pragma once

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/postgres_matcher.hpp"
#include "store/store.hpp"

namespace hookd::store::postgres {

// The shared backend: any number of hookd processes on one PostgreSQL database, the delivery
// queue included. Claims lock rows with FOR UPDATE SKIP LOCKED and lease them, so that two
// processes never send the same delivery at once; a bounded pool of libpq connections serves
// the threads of one process.
class PostgresStore final : public Store {
 public:
  // The system clock, for stores that are given none.
  static const Clock& default_clock();
  // `url` is anything PQconnectdb accepts (postgresql://user@host:port/db?...). Connects
  // once at construction, so that a wrong URL fails at start rather than at the first request.
  explicit PostgresStore(std::string url, const Clock& clock = default_clock(),
                         PoolOptions options = {}, StoreOptions store_options = {});
  ~PostgresStore() override;

  void migrate() override;
  std::vector<int> pending_migrations() override;
  bool ping() override;

  domain::TokenId create_token(domain::Role role,
                               std::optional<domain::OrganizationId> organization,
                               std::string_view token_hash) override;
  domain::TokenId create_portal_session(domain::Role role, domain::OrganizationId organization,
                                        std::string_view token_hash, TimePoint expires_at) override;
  std::optional<TokenRecord> find_active_token(std::string_view token_hash) override;
  bool revoke_token(domain::TokenId id) override;

  bool put_organization(const domain::Organization& organization) override;
  bool organization_exists(domain::OrganizationId id) override;
  PutOutcome put_device(const domain::Device& device) override;
  bool delete_device(domain::DeviceId id) override;
  PutOutcome put_device_group(const domain::DeviceGroup& group) override;
  bool delete_device_group(domain::DeviceGroupId id) override;
  std::optional<domain::DeviceId> first_missing_device(
      domain::OrganizationId organization, const std::vector<domain::DeviceId>& ids) override;
  std::optional<domain::DeviceGroupId> first_missing_device_group(
      domain::OrganizationId organization, const std::vector<domain::DeviceGroupId>& ids) override;

  domain::Webhook create_webhook(const domain::Webhook& webhook) override;
  std::optional<domain::Webhook> find_webhook(domain::WebhookId id) override;
  std::vector<domain::Webhook> list_webhooks(const WebhookQuery& query) override;
  bool update_webhook(const domain::Webhook& webhook) override;
  bool delete_webhook(domain::WebhookId id) override;

  std::vector<IngestOutcome> ingest(const std::vector<const IngestRequest*>& requests,
                                    TimePoint now, size_t max_deliveries = SIZE_MAX,
                                    HandOffRoom* room = nullptr) override;
  void prepare_ingestion() override;
  std::vector<ClaimedDelivery> claim_due(
      std::string_view owner, TimePoint now, TimePoint lease_until, size_t limit,
      size_t per_webhook_cap, const std::map<domain::WebhookId, size_t>& in_flight) override;
  // LISTEN/NOTIFY on a connection of its own (see WorkListener).
  std::unique_ptr<WorkWatch> watch_new_work(std::function<void()> on_new_work) override;
  std::optional<TimePoint> next_due() override;
  void record_attempts(const std::vector<AttemptRecord>& records, TimePoint now,
                       std::chrono::milliseconds disable_after) override;
  // A no-op: see the definition.
  void release_all_leases() override;

  QueueStats queue_stats() override;
  PurgeResult purge(TimePoint cutoff, TimePoint producer_id_cutoff, size_t limit) override;
  std::vector<DeliverySummary> list_deliveries(const DeliveryQuery& query) override;
  std::optional<DeliveryDetail> find_delivery(domain::WebhookId webhook,
                                              domain::DeliveryId id) override;
  bool retry_delivery(domain::WebhookId webhook, domain::DeliveryId id, TimePoint now) override;
  int64_t recover_deliveries(domain::WebhookId webhook, TimePoint since, TimePoint now) override;
  bool rotate_secret(domain::WebhookId webhook, const std::string& new_secret,
                     TimePoint old_valid_until, TimePoint now) override;
  bool queue_test_event(domain::WebhookId webhook, const domain::Event& event,
                        TimePoint now) override;

  std::vector<StoredSecret> stored_secrets(SecretField field,
                                           const std::optional<StoredSecret>& after,
                                           size_t limit) override;
  size_t replace_stored_secrets(const std::vector<SecretReplacement>& replacements) override;
  int64_t forget_expired_secrets(TimePoint now) override;

  IdempotencyClaim claim_idempotency_key(const IdempotencyRequest& request) override;
  bool complete_idempotency_key(std::string_view key_hash, int64_t generation,
                                const StoredAnswer& answer) override;
  void release_idempotency_key(std::string_view key_hash, int64_t generation) override;
  int64_t purge_idempotency_keys(TimePoint now, size_t limit) override;

 private:
  domain::TokenId insert_token(domain::Role role,
                               std::optional<domain::OrganizationId> organization,
                               std::string_view token_hash, std::optional<TimePoint> expires_at);
  static void write_lists(Connection& c, const domain::Webhook& webhook);
  // The claimed rows of a claim statement as deliveries, their secrets opened (those whose
  // secrets do not open are left leased and logged).
  // A webhook's URL and its current secrets, as stored.
  struct StoredSigning {
    std::string url;
    std::string hmac;
    std::optional<std::string> http;
  };
  // The deliveries with their webhooks' URLs and opened secrets (those still in grace read
  // here); one whose secrets do not open is left out and logged: it stays leased, and is
  // tried when the lease ends, never sent unsigned or wrongly signed.
  std::vector<ClaimedDelivery> with_signing(
      Connection& c, std::vector<ClaimedDelivery> deliveries,
      const std::unordered_map<int64_t, StoredSigning>& stored, TimePoint now);
  std::vector<ClaimedDelivery> opened_claims(Connection& c, const Result& r, TimePoint now);
  // The deliveries an ingest commit stored leased to a HandOffRoom, with each webhook's URL
  // and opened secrets; one whose secrets do not open is left out (it stays leased, and a
  // claim takes it when the lease runs out).
  std::vector<ClaimedDelivery> opened_hand_off(Connection& c, std::vector<ClaimedDelivery> leased,
                                               TimePoint now);

  const std::string url_;
  const PoolOptions options_;
  const StoreOptions store_options_;
  const Clock& clock_;
  ConnectionPool pool_;
  std::mutex matcher_mutex_;  // one ingest transaction at a time reads and refreshes it
  PostgresMatcher matcher_;
};

}  // namespace hookd::store::postgres
