#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/background_loop.hpp"
#include "common/clock.hpp"
#include "delivery/resolver.hpp"
#include "delivery/transport.hpp"
#include "store/delivery_queue.hpp"

namespace hookd::security {
class DestinationGuard;
}

namespace hookd::observability {
class Metrics;
}

namespace hookd::delivery {

struct DispatcherOptions {
  std::vector<std::chrono::milliseconds> retry_schedule;
  std::string secret_header = "x-webhook-secret";
  std::chrono::milliseconds lease{30'000};
  // How long one attempt can take at most (name resolution and the whole request): held work
  // with less of its lease left than this is not started, so that no attempt outlasts its lease.
  std::chrono::milliseconds longest_attempt{17'000};
  std::chrono::milliseconds disable_after{std::chrono::hours(24 * 5)};
  size_t max_in_flight = 512;
  // A slow or hung receiver holds at most this many attempts; the rest of the work goes on.
  size_t max_in_flight_per_webhook = 64;
  size_t claim_batch = 128;
  // Deliveries handed off by ingestion that may wait for a slot, in all (about 1 KiB each).
  size_t max_waiting = 4096;
  // How often the queue is looked at when nothing wakes the dispatcher sooner.
  std::chrono::milliseconds poll_interval{250};
};

// The delivery loop: takes deliveries under a lease, signs and sends them, and records each
// attempt with the retry decision. Work comes two ways: handed off by this process's
// ingestion as it stores it (HandOffRoom: no claim has to find it), and claimed from the
// queue (what other processes stored, retries, recoveries, what a hand-off had no room for).
// A claim runs only when the queue may hold due work the dispatcher has not got: when woken,
// when a retry falls due, when a webhook at its cap frees a slot, and every poll_interval.
// Two threads: one claims and sends, the other records in batches, so that a record waiting
// for the database's writer (behind an ingestion commit, or a PostgreSQL fsync) holds up no
// claim. Name resolution happens on the resolver's threads, the sending on the transport's,
// so that an attempt waiting for either holds up no other.
class Dispatcher final : public store::HandOffRoom {
 public:
  Dispatcher(store::DeliveryQueue& queue, Transport& transport, Resolver& resolver,
             const security::DestinationGuard& guard, DispatcherOptions options, const Clock& clock,
             std::function<double()> jitter, observability::Metrics* metrics = nullptr);
  ~Dispatcher() override;
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void start();
  // The name its leases carry in the store (deliveries.lease_owner): which process holds what.
  const std::string& owner() const override { return owner_; }
  // New work may be due in the queue (another process's, a test event, a recovery).
  void wake();

  // The hand-off (store::HandOffRoom). Handed-off work waits in memory for a slot: at most
  // max_waiting deliveries in all, and for one webhook no more than twice its cap held (in
  // flight, waiting or reserved). Webhooks take turns at the free slots, each its oldest first.
  std::chrono::milliseconds lease() const override { return options_.lease; }
  std::vector<bool> take_slots(const std::vector<domain::WebhookId>& webhooks) override;
  void give_back(const std::vector<domain::WebhookId>& webhooks) override;
  void hand_off(std::vector<store::ClaimedDelivery> deliveries, TimePoint lease_until,
                bool left_pending) override;
  // Claims nothing more, waits for the attempts in flight and records them.
  void stop();

 private:
  struct Completion {
    store::ClaimedDelivery delivery;
    domain::AttemptResult result;
  };
  // An attempt whose host name has been looked up, waiting to be checked and sent.
  struct Resolved {
    store::ClaimedDelivery delivery;
    OutgoingRequest request;
    std::string host;
    std::chrono::steady_clock::time_point started;
    Resolution resolution;
  };
  // One turn of the loop: sends what was resolved, claims what is due; returns when the next
  // turn is due, or nullopt once stopped with nothing in flight.
  std::optional<BackgroundLoop::TimePoint> turn();
  // One turn of the recorder: records every attempt answered since the last.
  std::optional<BackgroundLoop::TimePoint> record_turn();
  enum class Claimed {
    kAll,     // all it asked for: more may be due at once
    kSome,    // less: nothing more is due now that the caps let it take
    kNoRoom,  // nothing asked for: the caps are reached, and an answer frees a slot
    kNotDue,  // nothing asked for: the queue holds nothing due that the dispatcher has not got
  };
  Claimed claim_and_send();
  // Starts the handed-off or claimed deliveries that wait for a slot, as the caps allow.
  void start_waiting();
  // Under mutex_: `w` waits for a slot of its webhook.
  void enqueue_waiting(store::ClaimedDelivery d, TimePoint lease_until);
  // Under mutex_: the webhook takes its turn at the free slots if it has work waiting and a
  // slot of its own free.
  void mark_ready(domain::WebhookId webhook);
  // Counts `d` in flight, under mutex_, when the caps let it start now.
  bool try_count_in_flight(const store::ClaimedDelivery& d);
  // Checks, resolves, signs and sends an attempt counted in flight.
  void dispatch(store::ClaimedDelivery delivery);
  // One delivery of `webhook` no longer held; under mutex_.
  void release_held(domain::WebhookId webhook);
  // The URL checked and taken apart; empty (and `refused` filled in) when it cannot be sent.
  std::optional<OutgoingRequest> prepare_request(const store::ClaimedDelivery& d,
                                                 domain::AttemptResult& refused);
  void sign_and_send(store::ClaimedDelivery d, OutgoingRequest request);
  // Checks and sends the attempts whose names have been looked up meanwhile.
  void send_resolved();
  void on_resolved(Resolved resolved);
  void complete(store::ClaimedDelivery delivery, domain::AttemptResult result);
  // Returns whether any of them is to be retried.
  bool record(std::vector<Completion> completions);

  store::DeliveryQueue& queue_;
  Transport& transport_;
  Resolver& resolver_;
  const security::DestinationGuard& guard_;
  const DispatcherOptions options_;
  const Clock& clock_;
  std::function<double()> jitter_;
  observability::Metrics* metrics_;
  const std::string owner_;

  // Held and not yet started: handed off, or claimed beyond a webhook's free slots.
  struct Waiting {
    store::ClaimedDelivery delivery;
    TimePoint lease_until;
  };
  struct WebhookWaiting {
    std::deque<Waiting> queue;  // oldest first
    bool ready = false;         // in ready_
  };

  std::mutex mutex_;
  std::vector<Completion> to_record_;
  size_t unrecorded_ = 0;  // answered, not yet recorded (to_record_ and the batch being written)
  std::vector<Resolved> resolved_;
  size_t in_flight_ = 0;  // started and not yet answered
  std::map<domain::WebhookId, size_t> in_flight_by_webhook_;
  std::map<domain::WebhookId, WebhookWaiting> waiting_;
  size_t waiting_count_ = 0;
  // Webhooks with work waiting and a slot free, in the order they take their turns.
  std::deque<domain::WebhookId> ready_;
  size_t reserved_ = 0;  // slots taken by ingestion commits, not yet handed off
  // Per webhook: in flight, waiting, or reserved. Claims and hand-offs keep it within the cap.
  std::map<domain::WebhookId, size_t> held_by_webhook_;
  // The queue may hold due work this dispatcher has not got: the next turn claims.
  bool may_have_due_ = true;
  // Webhooks a claim found at their cap: the first slot one frees makes the queue worth a look.
  std::set<domain::WebhookId> passed_over_;
  // When the next claim is due anyway: the poll, or the next retry (the loop's thread alone).
  std::chrono::steady_clock::time_point next_look_{};
  // The time the last claim looked for due work at (the loop's thread alone).
  TimePoint claimed_at_{};
  bool ended_ = false;  // the loop has ended: nothing handed off now would be started
  // Last: their threads use everything above.
  BackgroundLoop recorder_;
  BackgroundLoop loop_;
};

}  // namespace hookd::delivery
