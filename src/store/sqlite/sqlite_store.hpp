#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "store/sqlite/lease_table.hpp"
#include "store/sqlite/sqlite_matcher.hpp"
#include "store/sqlite/wal_checkpointer.hpp"
#include "store/store.hpp"

namespace hookd::store {
class HandOffSlots;
}

namespace hookd::store::sqlite {

class Connection;

// The embedded backend: one SQLite file in WAL mode, a small pool of connections so that
// readers on different threads do not wait for each other.
class SqliteStore final : public Store {
 public:
  // The system clock, for stores that are given none.
  static const Clock& default_clock();
  explicit SqliteStore(std::string path, const Clock& clock = default_clock(), size_t pool_size = 8,
                       StoreOptions options = {});
  ~SqliteStore() override;

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
  std::optional<TimePoint> next_due() override;
  void record_attempts(const std::vector<AttemptRecord>& records, TimePoint now,
                       std::chrono::milliseconds disable_after) override;
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
  // A connection borrowed from the pool for the length of one store call.
  class Lease {
   public:
    Lease(SqliteStore& store, std::unique_ptr<Connection> c);
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    Connection& operator*() { return *conn_; }
    Connection* operator->() { return conn_.get(); }

   private:
    SqliteStore& store_;
    std::unique_ptr<Connection> conn_;
  };

  Lease acquire();
  void release(std::unique_ptr<Connection> c);
  // A webhook's secrets as a delivery is signed with: the current HMAC secret, then those in
  // their grace period at `now_us`, newest first; and the simple secret. Throws
  // SecretUnavailable when one does not open.
  void signing_secrets(Connection& c, domain::WebhookId webhook,
                       const std::optional<std::string>& stored_hmac,
                       const std::optional<std::string>& stored_http, int64_t now_us,
                       std::vector<std::string>& hmac, std::optional<std::string>& http);
  // Fills in the deliveries an ingest commit stored leased to a HandOffRoom with their
  // webhooks' URLs and opened secrets; those that cannot be sent are released to the queue
  // and left out (see ingest).
  void with_senders(Connection& c, std::vector<ClaimedDelivery>& handed, TimePoint now,
                    HandOffSlots& slots);
  void write_lists(Connection& c, const domain::Webhook& webhook);
  // After deleting secrets: copies the WAL into the database and truncates it, so that the
  // pages as they were before the delete do not stay in the -wal file.
  void checkpoint_truncate(Connection& c);
  // Creates the database file 0600 before SQLite opens it (SQLite gives -wal and -shm the
  // database's mode), and narrows an existing file, -wal and -shm to 0600.
  static void make_files_private(const std::string& path);

  std::unique_ptr<Connection> open_connection() const;

  std::string path_;
  const Clock& clock_;
  size_t pool_size_;
  StoreOptions options_;
  std::mutex write_mutex_;  // one writer at a time, queued here rather than in SQLite
  SqliteMatcher matcher_;   // used under write_mutex_, in the ingest's transaction
  LeaseTable leases_;
  std::mutex claim_mutex_;  // a claim, or a commit that ends leases (see claim_due)
  std::mutex mutex_;        // guards the pool
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  size_t open_ = 0;
  // Last: stopped first; every connection of the pool reports its commits to it.
  std::unique_ptr<WalCheckpointer> checkpointer_;
};

}  // namespace hookd::store::sqlite
