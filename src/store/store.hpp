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
#include "store/delivery_log.hpp"
#include "store/delivery_queue.hpp"
#include "store/event_ingest.hpp"
#include "store/idempotency_store.hpp"
#include "store/tenancy_store.hpp"
#include "store/token_store.hpp"
#include "store/webhook_store.hpp"

namespace hookd::security {
class KeyRing;
}

namespace hookd::store {

// The database failed or is unreachable; the API answers 503 and changes nothing.
struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// How a store is opened, besides its URL.
struct StoreOptions {
  // Checked in the transaction that inserts, so that concurrent creates cannot both pass.
  int64_t webhooks_per_organization = 1000;
  // SQLite: true syncs the WAL after every commit a client is answered for, before the answer;
  // false leaves syncing to checkpoints, which a power cut can undo. PostgreSQL always syncs.
  bool sqlite_sync_commits = true;
};

struct PurgeResult {
  int64_t deliveries = 0;  // their attempts go with them
  int64_t events = 0;
  int64_t producer_ids = 0;
  int64_t idempotency_keys = 0;
  int64_t total() const { return deliveries + events + producer_ids + idempotency_keys; }
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
// folder; nothing outside store/ knows which one is in use. It is made of role interfaces,
// one header each, so that a part of hookd can depend on the role it uses alone: the
// dispatcher on DeliveryQueue, ingestion on EventIngest.
class Store : public TokenStore,
              public TenancyStore,
              public WebhookStore,
              public EventIngest,
              public DeliveryQueue,
              public DeliveryLog,
              public IdempotencyStore {
 public:
  ~Store() override = default;

  // Applies every migration not yet applied; safe to call on every start.
  virtual void migrate() = 0;
  // Versions of the migrations not yet applied, in order (all of them on an empty database);
  // applies none and creates nothing (`hookd doctor`).
  virtual std::vector<int> pending_migrations() = 0;
  // True when the database answers a trivial query.
  virtual bool ping() = 0;

  // Deletes up to `limit` finished (not pending) deliveries created before `cutoff` with their
  // attempts, events created before it that no delivery refers to any more, and producer ids
  // older than `producer_id_cutoff`. One short transaction; call again while it deletes.
  virtual PurgeResult purge(TimePoint cutoff, TimePoint producer_id_cutoff, size_t limit) = 0;

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
  // An idempotency key's stored answer body, sealed for its row (idempotency_answer_binding).
  std::string seal_idempotent_answer(std::string_view key_hash, std::string_view body) const;
  std::string open_idempotent_answer(std::string_view key_hash, std::string_view sealed) const;
  // What a claim that did not take its key found in the key's row: kMismatch, kRunning (no
  // status yet), or kReplay with the answer opened.
  IdempotencyClaim found_idempotency_claim(const IdempotencyRequest& request,
                                           std::string_view stored_fingerprint,
                                           std::optional<int64_t> status,
                                           std::string_view sealed_body) const;

 private:
  std::shared_ptr<const security::KeyRing> key_ring_;
};

// The text a secret is bound to when sealed: its webhook and which of its secrets it is.
std::string secret_binding(domain::WebhookId webhook, SecretField field);
// The text a stored idempotent answer is bound to when sealed: its key's row.
std::string idempotency_answer_binding(std::string_view key_hash);

// Opens the store a database URL names: sqlite://PATH, or postgresql://... (also postgres://).
// Throws StoreError for an unknown scheme or a database that cannot be opened.
std::unique_ptr<Store> open_store(const std::string& url, const StoreOptions& options = {});

}  // namespace hookd::store
