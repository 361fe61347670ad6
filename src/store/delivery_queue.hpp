#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "domain/delivery.hpp"
#include "domain/event.hpp"
#include "domain/webhook.hpp"

namespace hookd::store {

// A delivery claimed by a worker, with what it takes to send it.
struct ClaimedDelivery {
  domain::DeliveryId id = 0;
  domain::WebhookId webhook_id = 0;
  int attempts_made = 0;  // before this one
  domain::Event event;
  std::string url;
  std::vector<std::string> hmac_secrets;  // newest first
  std::optional<std::string> secret_http;
  TimePoint created_at;
};

// What an attempt changed.
struct AttemptRecord {
  domain::DeliveryId delivery_id = 0;
  domain::WebhookId webhook_id = 0;
  int attempt = 0;  // 1-based
  domain::AttemptResult result;
  domain::DeliveryStatus new_status = domain::DeliveryStatus::kPending;
  std::optional<TimePoint> next_attempt_at;  // when still pending
  bool disable_webhook = false;              // the receiver answered 410 Gone
};

// The room a dispatcher of this process offers for the deliveries this process stores: a new
// pending delivery given a slot is stored leased to the dispatcher, and handed to it after the
// commit, so that no claim has to find it again (the hand-off). The database stays the truth:
// after a crash such a delivery is pending under a lease that runs out like a claim's.
// Thread-safe: an ingestion commit asks it while the dispatcher runs.
class HandOffRoom {
 public:
  virtual ~HandOffRoom() = default;

  // The lease holder and the lease's length, as for claim_due.
  virtual const std::string& owner() const = 0;
  virtual std::chrono::milliseconds lease() const = 0;
  // A slot for each new pending delivery of `webhooks[i]`, in order, taken at once:
  // granted[i] is false when the dispatcher has none to spare (it holds the webhook's cap, its
  // room for handed-off work is full, or it is stopping).
  virtual std::vector<bool> take_slots(const std::vector<domain::WebhookId>& webhooks) = 0;
  // Slots taken for deliveries that were not stored leased after all (their commit failed, or
  // their webhooks were disabled or deleted meanwhile, or their secrets do not open).
  virtual void give_back(const std::vector<domain::WebhookId>& webhooks) = 0;
  // After the commit: one delivery for each slot taken and not given back, leased until
  // `lease_until`; `left_pending` when the commit also stored pending deliveries without a
  // lease, which a claim has to find.
  virtual void hand_off(std::vector<ClaimedDelivery> deliveries, TimePoint lease_until,
                        bool left_pending) = 0;
};

// Calls back while it lives; destroying it stops the calls (see Store::watch_new_work).
class WorkWatch {
 public:
  virtual ~WorkWatch() = default;
};

// The deliveries waiting to be sent, as the delivery engine sees them: claimed under a lease,
// their attempts recorded, woken when new work arrives. The store implements it; the
// dispatcher's tests drive it through a fake.
class DeliveryQueue {
 public:
  virtual ~DeliveryQueue() = default;

  // Leases up to `limit` pending deliveries due at `now` to `owner` until `lease_until`,
  // oldest first, so that no webhook has more than `per_webhook_cap` in flight counting the
  // `in_flight` ones the caller already holds.
  virtual std::vector<ClaimedDelivery> claim_due(
      std::string_view owner, TimePoint now, TimePoint lease_until, size_t limit,
      size_t per_webhook_cap, const std::map<domain::WebhookId, size_t>& in_flight) = 0;
  // Calls `on_new_work`, from a thread of its own, soon after any process on this database
  // made deliveries due at once (new events, retries, recoveries, test events), and after
  // the database came back from an outage, so that workers need not wait for their next
  // poll. Null when the backend has no such signal: one process uses it, and that process
  // wakes its own dispatcher.
  virtual std::unique_ptr<WorkWatch> watch_new_work(std::function<void()> on_new_work) {
    (void)on_new_work;
    return nullptr;
  }
  // When the next pending delivery is due, if any.
  virtual std::optional<TimePoint> next_due() = 0;
  // Logs attempts and moves their deliveries on, in one transaction. A webhook whose attempts
  // have all failed for `disable_after` is disabled, and its pending deliveries skipped.
  virtual void record_attempts(const std::vector<AttemptRecord>& records, TimePoint now,
                               std::chrono::milliseconds disable_after) = 0;
  // Frees every lease; for a backend only one process uses, at its start.
  virtual void release_all_leases() = 0;
};

}  // namespace hookd::store
