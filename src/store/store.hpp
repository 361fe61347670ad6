#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "domain/delivery.hpp"
#include "domain/event.hpp"
#include "domain/tenancy.hpp"
#include "domain/webhook.hpp"
#include "store/delivery_queue.hpp"

namespace hookd::security {
class KeyRing;
}

namespace hookd::store {

// The database failed or is unreachable; the API answers 503 and changes nothing.
struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Creating one more webhook would take its organization past
// StoreOptions::webhooks_per_organization; nothing was stored.
struct WebhookLimitExceeded : std::runtime_error {
  explicit WebhookLimitExceeded(int64_t limit_)
      : std::runtime_error("webhook limit exceeded"), limit(limit_) {}
  int64_t limit;
};

// How a store is opened, besides its URL.
struct StoreOptions {
  // Checked in the transaction that inserts, so that concurrent creates cannot both pass.
  int64_t webhooks_per_organization = 1000;
  // SQLite: true syncs every commit a client is answered for (synchronous=FULL); false leaves
  // syncing to checkpoints (NORMAL), which a power cut can undo. PostgreSQL always syncs.
  bool sqlite_sync_commits = true;
};

// Delivery rows one ingestion commit writes at most (whole events: the event that reaches the
// bound is the last of the commit). 5,000 rows commit in about 0.1 s (0.3 s on a loaded
// machine), so a request of 1,000 events x 1,000 webhooks never holds the writer, or other
// organizations' ingestion queued behind it, for longer than that.
inline constexpr size_t kMaxDeliveriesPerCommit = 5'000;

// What putting a device or a group can run into, besides success.
struct PutOutcome {
  enum class Kind { kOk, kOrganizationNotFound, kDeviceNotFound } kind = Kind::kOk;
  int64_t missing_id = 0;  // the organization or device that was not found
  bool created = false;
};

// A live token as stored: what it grants and the hash it is kept under.
struct TokenRecord {
  domain::Principal principal;
  std::string token_hash;
};

struct WebhookQuery {
  std::optional<domain::OrganizationId> organization;  // empty: every organization
  int64_t offset = 0;
  int64_t size = 50;
};

// One ingestion request: stored whole or not at all. Each event's id is set by the caller;
// organization_id is filled in from the device.
struct IngestRequest {
  std::vector<domain::Event> events;
  // A request too large for one commit is stored in several: events before this one are
  // stored already (their devices were all checked before the first), and it resumes here.
  size_t resume_at = 0;
};

struct IngestedEvent {
  std::string id;  // for a duplicate, the id of the event first stored
  int64_t deliveries = 0;
  bool duplicate = false;
};

struct IngestOutcome {
  bool ok = true;
  domain::DeviceId missing_device = 0;  // when !ok
  // One per event from the request's resume_at on that this commit stored; fewer than the
  // rest when the commit's delivery bound was reached (see Store::ingest).
  std::vector<IngestedEvent> events;
};

struct PurgeResult {
  int64_t deliveries = 0;  // their attempts go with them
  int64_t events = 0;
  int64_t producer_ids = 0;
  int64_t total() const { return deliveries + events + producer_ids; }
};

struct QueueStats {
  int64_t pending = 0;
  std::optional<TimePoint> oldest_pending_created_at;
};

struct DeliveryQuery {
  domain::WebhookId webhook_id = 0;
  std::optional<domain::DeliveryStatus> status;
  int64_t offset = 0;
  int64_t size = 50;
};

// A delivery as its log shows it.
struct DeliverySummary {
  domain::DeliveryId id = 0;
  std::string event_id;
  domain::Topic topic = domain::Topic::kDeviceStatus;
  domain::DeliveryStatus status = domain::DeliveryStatus::kPending;
  int attempt_count = 0;
  std::optional<TimePoint> next_attempt_at;
  std::optional<int> last_status_code;
  std::optional<std::string> last_error;
  TimePoint created_at;
};

struct Attempt {
  int number = 0;
  domain::AttemptResult result;
};

struct DeliveryDetail {
  DeliverySummary summary;
  domain::Event event;
  std::vector<Attempt> attempts;  // oldest first
};

// A webhook's secret could not be opened (altered, moved, or sealed under a missing key).
struct SecretUnavailable : StoreError {
  using StoreError::StoreError;
};

// Where a secret is stored. The current and the rotated-out HMAC secrets share one binding, so
// that a rotation moves the sealed text as it is; secretHttp has its own.
enum class SecretField { kHmac, kHttp, kHmacInGrace };

// A secret as the database holds it: sealed, or plaintext from before sealing.
struct StoredSecret {
  SecretField field = SecretField::kHmac;
  domain::WebhookId webhook_id = 0;
  std::string value;
};

struct SecretReplacement {
  StoredSecret current;
  std::string value;
};

// The persistence boundary. One implementation per database backend, each in its own
// folder; nothing outside store/ knows which one is in use. The delivery engine sees only
// its DeliveryQueue part (delivery_queue.hpp).
class Store : public DeliveryQueue {
 public:
  ~Store() override = default;

  // Applies every migration not yet applied; safe to call on every start.
  virtual void migrate() = 0;
  // True when the database answers a trivial query.
  virtual bool ping() = 0;

  // Tokens are stored and looked up by hash only.
  virtual domain::TokenId create_token(domain::Role role,
                                       std::optional<domain::OrganizationId> organization,
                                       std::string_view token_hash) = 0;
  virtual std::optional<TokenRecord> find_active_token(std::string_view token_hash) = 0;
  virtual bool revoke_token(domain::TokenId id) = 0;

  virtual bool put_organization(const domain::Organization& organization) = 0;  // true: created
  virtual bool organization_exists(domain::OrganizationId id) = 0;
  virtual PutOutcome put_device(const domain::Device& device) = 0;
  virtual bool delete_device(domain::DeviceId id) = 0;
  virtual PutOutcome put_device_group(const domain::DeviceGroup& group) = 0;
  virtual bool delete_device_group(domain::DeviceGroupId id) = 0;

  // The first of `ids` that is not a device (group) of `organization`, if any.
  virtual std::optional<domain::DeviceId> first_missing_device(
      domain::OrganizationId organization, const std::vector<domain::DeviceId>& ids) = 0;
  virtual std::optional<domain::DeviceGroupId> first_missing_device_group(
      domain::OrganizationId organization, const std::vector<domain::DeviceGroupId>& ids) = 0;

  // Inserts `webhook` (its id is ignored) and returns it with the id the database gave it.
  // Throws WebhookLimitExceeded when its organization holds webhooks_per_organization already.
  virtual domain::Webhook create_webhook(const domain::Webhook& webhook) = 0;
  virtual std::optional<domain::Webhook> find_webhook(domain::WebhookId id) = 0;
  // Newest first.
  virtual std::vector<domain::Webhook> list_webhooks(const WebhookQuery& query) = 0;
  // Replaces every mutable field; false when the webhook no longer exists.
  virtual bool update_webhook(const domain::Webhook& webhook) = 0;
  virtual bool delete_webhook(domain::WebhookId id) = 0;

  // Stores the events of several requests in one transaction (group commit), and a delivery
  // for every webhook each event matches: pending for enabled webhooks, skipped for disabled
  // ones. A producer id seen in the last 24 h is a duplicate. A request with an unknown device
  // stores nothing. Once `max_deliveries` delivery rows are written the commit ends after
  // that event: the requests not finished get the outcomes of the events stored so far, and
  // the caller submits them again with resume_at moved on (devices are not checked again; an
  // event whose device has gone since is answered with no deliveries and not stored).
  virtual std::vector<IngestOutcome> ingest(const std::vector<const IngestRequest*>& requests,
                                            TimePoint now, size_t max_deliveries = SIZE_MAX) = 0;
  // Loads what ingestion matches with (webhooks and devices, into memory) now, so that the
  // first ingestion does not wait for it; a process that ingests calls it at start.
  virtual void prepare_ingestion() {}

  // Deletes up to `limit` finished (not pending) deliveries created before `cutoff` with their
  // attempts, events created before it that no delivery refers to any more, and producer ids
  // older than `producer_id_cutoff`. One short transaction; call again while it deletes.
  virtual PurgeResult purge(TimePoint cutoff, TimePoint producer_id_cutoff, size_t limit) = 0;

  // How much waits to be sent (for /metrics).
  virtual QueueStats queue_stats() = 0;

  // A webhook's deliveries, newest first.
  virtual std::vector<DeliverySummary> list_deliveries(const DeliveryQuery& query) = 0;
  virtual std::optional<DeliveryDetail> find_delivery(domain::WebhookId webhook,
                                                      domain::DeliveryId id) = 0;
  // Makes a delivery of `webhook` pending and due at `now`, whatever its state; false when
  // there is no such delivery.
  virtual bool retry_delivery(domain::WebhookId webhook, domain::DeliveryId id, TimePoint now) = 0;
  // Makes every failed or skipped delivery of `webhook` created at or after `since` pending
  // and due at `now`; returns how many.
  virtual int64_t recover_deliveries(domain::WebhookId webhook, TimePoint since, TimePoint now) = 0;

  // Makes `new_secret` the webhook's signing secret; the one it replaces keeps signing beside
  // it until `old_valid_until`. False when the webhook does not exist.
  virtual bool rotate_secret(domain::WebhookId webhook, const std::string& new_secret,
                             TimePoint old_valid_until, TimePoint now) = 0;
  // Stores `event` (for the webhook's organization, no device) with one pending delivery to
  // this webhook alone. False when the webhook does not exist.
  virtual bool queue_test_event(domain::WebhookId webhook, const domain::Event& event,
                                TimePoint now) = 0;

  // Secrets at rest. The backends seal every secret they write and open every one they read
  // with this ring; without one, any secret written or read throws StoreError.
  void use_key_ring(std::shared_ptr<const security::KeyRing> ring) { key_ring_ = std::move(ring); }
  // Up to `limit` secrets of `field` as stored, after `after` (webhook id, then value), for
  // sealing and re-encryption (store/secret_sweep.hpp).
  virtual std::vector<StoredSecret> stored_secrets(SecretField field,
                                                   const std::optional<StoredSecret>& after,
                                                   size_t limit) = 0;
  // Sets each secret that still holds `current.value` (compare and swap: a rotation meanwhile
  // wins), in one transaction; returns how many changed.
  virtual size_t replace_stored_secrets(const std::vector<SecretReplacement>& replacements) = 0;
  // Deletes rotated-out secrets whose grace has ended (and, where the backend keeps old page
  // images, lets them go); returns how many.
  virtual int64_t forget_expired_secrets(TimePoint now) = 0;

 protected:
  // Throw StoreError without a key ring; open_secret throws SecretUnavailable when the text does
  // not open, and passes plaintext from before sealing through.
  std::string seal_secret(domain::WebhookId webhook, SecretField field,
                          std::string_view plaintext) const;
  std::string open_secret(domain::WebhookId webhook, SecretField field,
                          std::string_view stored) const;
  std::optional<std::string> seal_secret(domain::WebhookId webhook, SecretField field,
                                         const std::optional<std::string>& plaintext) const;
  std::optional<std::string> open_secret(domain::WebhookId webhook, SecretField field,
                                         const std::optional<std::string>& stored) const;
  void open_webhook_secrets(domain::Webhook& webhook) const;

 private:
  std::shared_ptr<const security::KeyRing> key_ring_;
};

// The text a secret is bound to when sealed: its webhook and which of its secrets it is.
std::string secret_binding(domain::WebhookId webhook, SecretField field);

// Opens the store a database URL names: sqlite://PATH, or postgresql://... (also postgres://).
// Throws StoreError for an unknown scheme or a database that cannot be opened.
std::unique_ptr<Store> open_store(const std::string& url, const StoreOptions& options = {});

}  // namespace hookd::store
