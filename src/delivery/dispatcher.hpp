#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
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
  std::chrono::milliseconds disable_after{std::chrono::hours(24 * 5)};
  size_t max_in_flight = 512;
  // A slow or hung receiver holds at most this many attempts; the rest of the work goes on.
  size_t max_in_flight_per_webhook = 64;
  size_t claim_batch = 128;
  // How often the queue is looked at when nothing wakes the dispatcher sooner.
  std::chrono::milliseconds poll_interval{250};
};

// The delivery loop: claims due deliveries with a lease, signs and sends them, and records
// each attempt with the retry decision. Two threads: one claims and sends, the other records
// in batches, so that a record waiting for the database's writer (behind an ingestion
// commit, or a PostgreSQL fsync) holds up no claim. Name resolution happens on the
// resolver's threads, the sending on the transport's, so that an attempt waiting for either
// holds up no other.
class Dispatcher {
 public:
  Dispatcher(store::DeliveryQueue& queue, Transport& transport, Resolver& resolver,
             const security::DestinationGuard& guard, DispatcherOptions options, const Clock& clock,
             std::function<double()> jitter, observability::Metrics* metrics = nullptr);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void start();
  // The name its leases carry in the store (deliveries.lease_owner): which process holds what.
  const std::string& owner() const { return owner_; }
  // New work may be due (called after an ingestion commit).
  void wake();
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
    kSome,    // less: nothing more is due now
    kNoRoom,  // nothing asked for: the caps are reached, and an answer frees a slot
  };
  Claimed claim_and_send();
  void dispatch(store::ClaimedDelivery delivery);
  // The URL checked and taken apart; empty (and `refused` filled in) when it cannot be sent.
  std::optional<OutgoingRequest> prepare_request(const store::ClaimedDelivery& d,
                                                 domain::AttemptResult& refused);
  void sign_and_send(store::ClaimedDelivery d, OutgoingRequest request);
  // Checks and sends the attempts whose names have been looked up meanwhile.
  void send_resolved();
  void on_resolved(Resolved resolved);
  void complete(store::ClaimedDelivery delivery, domain::AttemptResult result);
  void record(std::vector<Completion> completions);

  store::DeliveryQueue& queue_;
  Transport& transport_;
  Resolver& resolver_;
  const security::DestinationGuard& guard_;
  const DispatcherOptions options_;
  const Clock& clock_;
  std::function<double()> jitter_;
  observability::Metrics* metrics_;
  const std::string owner_;

  std::mutex mutex_;
  std::vector<Completion> to_record_;
  size_t unrecorded_ = 0;  // answered, not yet recorded (to_record_ and the batch being written)
  std::vector<Resolved> resolved_;
  size_t in_flight_ = 0;  // claimed and not yet answered
  std::map<domain::WebhookId, size_t> in_flight_by_webhook_;
  // Last: their threads use everything above.
  BackgroundLoop recorder_;
  BackgroundLoop loop_;
};

}  // namespace hookd::delivery
