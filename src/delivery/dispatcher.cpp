#include "delivery/dispatcher.hpp"

#include "common/log.hpp"
#include "delivery/request_builder.hpp"
#include "delivery/retry_policy.hpp"
#include "observability/metrics.hpp"
#include "security/destination_guard.hpp"
#include "security/ip_address.hpp"
#include "security/secrets.hpp"
#include "security/webhook_url.hpp"

namespace hookd::delivery {
namespace {

std::string unbracketed(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return std::string(host);
}

}  // namespace

Dispatcher::Dispatcher(store::DeliveryQueue& queue, Transport& transport, Resolver& resolver,
                       const security::DestinationGuard& guard, DispatcherOptions options,
                       const Clock& clock, std::function<double()> jitter,
                       observability::Metrics* metrics)
    : queue_(queue),
      transport_(transport),
      resolver_(resolver),
      guard_(guard),
      options_(std::move(options)),
      clock_(clock),
      jitter_(std::move(jitter)),
      metrics_(metrics),
      owner_("worker-" + security::random_alphanumeric(12)) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
  recorder_.start([this] { return record_turn(); }, BackgroundLoop::TimePoint::max());
  loop_.start([this] { return turn(); });
}

void Dispatcher::wake() {
  {
    std::lock_guard lock(mutex_);
    may_have_due_ = true;
  }
  loop_.wake();
}

void Dispatcher::stop() {
  // Attempts in flight end first; then what they left to record is recorded.
  loop_.stop();
  recorder_.stop();
}

std::vector<bool> Dispatcher::take_slots(const std::vector<domain::WebhookId>& webhooks) {
  std::vector<bool> granted(webhooks.size(), false);
  std::lock_guard lock(mutex_);
  if (loop_.stopping()) return granted;
  for (size_t i = 0; i < webhooks.size(); ++i) {
    if (waiting_count_ + reserved_ >= options_.max_waiting) break;
    const auto held = held_by_webhook_.find(webhooks[i]);
    const size_t n = held == held_by_webhook_.end() ? 0 : held->second;
    if (n >= 2 * options_.max_in_flight_per_webhook) continue;
    ++held_by_webhook_[webhooks[i]];
    ++reserved_;
    granted[i] = true;
  }
  return granted;
}

void Dispatcher::give_back(const std::vector<domain::WebhookId>& webhooks) {
  std::lock_guard lock(mutex_);
  for (domain::WebhookId webhook : webhooks) {
    --reserved_;
    release_held(webhook);
  }
}

void Dispatcher::hand_off(std::vector<store::ClaimedDelivery> deliveries, TimePoint lease_until,
                          bool left_pending) {
  std::lock_guard lock(mutex_);
  reserved_ -= deliveries.size();
  if (left_pending) may_have_due_ = true;
  if (ended_) {
    // Stopped: they stay leased, and a claim takes them when their leases run out.
    for (const store::ClaimedDelivery& d : deliveries) release_held(d.webhook_id);
    return;
  }
  if (metrics_)
    metrics_->deliveries_taken(observability::Metrics::Taken::kHandedOff, deliveries.size());
  for (store::ClaimedDelivery& d : deliveries) enqueue_waiting(std::move(d), lease_until);
  // Under the lock, as in on_resolved.
  loop_.wake();
}

void Dispatcher::release_held(domain::WebhookId webhook) {
  const auto it = held_by_webhook_.find(webhook);
  if (it == held_by_webhook_.end()) return;
  const size_t left = --it->second;
  if (left == 0) held_by_webhook_.erase(it);
  // A claim passed the webhook's due work over at its cap: with a slot free, it may take some.
  if (left < options_.max_in_flight_per_webhook && passed_over_.erase(webhook) > 0) {
    may_have_due_ = true;
  }
}

std::optional<BackgroundLoop::TimePoint> Dispatcher::turn() {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    if (loop_.stopping() && in_flight_ == 0 && waiting_count_ == 0) {
      ended_ = true;
      return std::nullopt;
    }
    if (now >= next_look_) may_have_due_ = true;
  }
  send_resolved();
  start_waiting();

  bool more = false;
  try {
    const Claimed claimed = claim_and_send();
    more = claimed == Claimed::kAll;
    if (claimed == Claimed::kAll || claimed == Claimed::kSome) {
      next_look_ = std::chrono::steady_clock::now() + options_.poll_interval;
    }
    // Sleep until the next retry is due, if that comes before the next look at the queue.
    // Without room, what is due waits for a slot, and the answer that frees one wakes the loop.
    // What was due when the claim looked and was not taken belongs to webhooks at their caps
    // (release_held marks the queue when one drops below): looking again at once would find
    // the same.
    auto due = claimed == Claimed::kSome ? queue_.next_due() : std::nullopt;
    if (due && *due > claimed_at_) {
      const auto until_due =
          std::chrono::duration_cast<std::chrono::milliseconds>(*due - clock_.now());
      if (until_due < options_.poll_interval) {
        next_look_ =
            std::chrono::steady_clock::now() + std::max(until_due, std::chrono::milliseconds(1));
      }
    }
  } catch (const std::exception& e) {
    log::error("reading the delivery queue failed", {{"error", e.what()}});
    next_look_ = std::chrono::steady_clock::now() + options_.poll_interval;
  }
  const auto after = std::chrono::steady_clock::now();
  // Without room, the look that was due waits for an answer to free a slot (which wakes the
  // loop), or for the next poll.
  if (next_look_ <= after) next_look_ = after + options_.poll_interval;
  std::lock_guard lock(mutex_);
  // Once stopped, the loop ends as soon as nothing is in flight.
  const bool at_once = loop_.stopping() ? in_flight_ == 0 && waiting_count_ == 0 : more;
  return at_once ? after : next_look_;
}

bool Dispatcher::try_count_in_flight(const store::ClaimedDelivery& d) {
  if (in_flight_ >= options_.max_in_flight || unrecorded_ >= options_.max_in_flight) return false;
  const auto busy = in_flight_by_webhook_.find(d.webhook_id);
  if (busy != in_flight_by_webhook_.end() && busy->second >= options_.max_in_flight_per_webhook) {
    return false;
  }
  ++in_flight_;
  ++in_flight_by_webhook_[d.webhook_id];
  if (metrics_) metrics_->set_in_flight(static_cast<int64_t>(in_flight_));
  return true;
}

void Dispatcher::enqueue_waiting(store::ClaimedDelivery d, TimePoint lease_until) {
  const domain::WebhookId webhook = d.webhook_id;
  waiting_[webhook].queue.push_back({std::move(d), lease_until});
  ++waiting_count_;
  mark_ready(webhook);
}

void Dispatcher::mark_ready(domain::WebhookId webhook) {
  const auto it = waiting_.find(webhook);
  if (it == waiting_.end() || it->second.ready || it->second.queue.empty()) return;
  const auto busy = in_flight_by_webhook_.find(webhook);
  if (busy != in_flight_by_webhook_.end() && busy->second >= options_.max_in_flight_per_webhook) {
    return;  // its next answer makes it ready
  }
  it->second.ready = true;
  ready_.push_back(webhook);
}

void Dispatcher::start_waiting() {
  std::vector<store::ClaimedDelivery> starting;
  {
    std::lock_guard lock(mutex_);
    const TimePoint now = clock_.now();
    while (!ready_.empty() && in_flight_ < options_.max_in_flight &&
           unrecorded_ < options_.max_in_flight) {
      const domain::WebhookId webhook = ready_.front();
      ready_.pop_front();
      auto it = waiting_.find(webhook);
      WebhookWaiting& w = it->second;
      w.ready = false;
      Waiting next = std::move(w.queue.front());
      w.queue.pop_front();
      --waiting_count_;
      // Sent this late, its attempt could outlast its lease and another process send it too:
      // it is left to its lease, and a claim takes it once the lease has run out.
      if (next.lease_until - now < options_.longest_attempt) {
        log::warn(
            "a delivery waited too long for a slot to be sent within its lease; it is left"
            " for a claim",
            {{"delivery_id", next.delivery.id}, {"webhook_id", webhook}});
        release_held(webhook);
      } else if (try_count_in_flight(next.delivery)) {
        starting.push_back(std::move(next.delivery));
      } else {
        // A claim took the webhook's last free slot meanwhile: its next answer makes it ready.
        w.queue.push_front(std::move(next));
        ++waiting_count_;
        continue;
      }
      if (w.queue.empty()) {
        waiting_.erase(it);
      } else {
        mark_ready(webhook);  // to the back: the other webhooks' turns come first
      }
    }
  }
  if (starting.empty()) return;
  for (auto& d : starting) dispatch(std::move(d));
  send_resolved();
}

Dispatcher::Claimed Dispatcher::claim_and_send() {
  std::map<domain::WebhookId, size_t> busy;
  size_t room = 0;
  {
    std::lock_guard lock(mutex_);
    if (loop_.stopping()) return Claimed::kNoRoom;
    if (!may_have_due_) return Claimed::kNotDue;
    // No claim while max_in_flight answered attempts wait to be recorded: in flight and
    // waiting together stay within twice max_in_flight, however long a record takes. Work
    // waiting for a slot that a slot was free for has just been started (start_waiting); what
    // still waits belongs to webhooks at their caps, which the claim passes over.
    if (in_flight_ >= options_.max_in_flight || unrecorded_ >= options_.max_in_flight) {
      return Claimed::kNoRoom;
    }
    room = std::min(options_.claim_batch, options_.max_in_flight - in_flight_);
    busy = held_by_webhook_;
    // Anything that makes work due from here on is looked for by the next claim.
    may_have_due_ = false;
  }
  const TimePoint now = clock_.now();
  claimed_at_ = now;
  const TimePoint lease_until = now + options_.lease;
  std::vector<store::ClaimedDelivery> claimed;
  try {
    claimed =
        queue_.claim_due(owner_, now, lease_until, room, options_.max_in_flight_per_webhook, busy);
  } catch (...) {
    std::lock_guard lock(mutex_);
    may_have_due_ = true;
    throw;
  }
  const bool full = claimed.size() == room;
  if (metrics_) metrics_->deliveries_taken(observability::Metrics::Taken::kClaimed, claimed.size());
  std::vector<store::ClaimedDelivery> starting;
  {
    std::lock_guard lock(mutex_);
    if (full) may_have_due_ = true;
    for (const auto& d : claimed) ++busy[d.webhook_id];  // what the claim left each webhook
    for (auto& d : claimed) {
      ++held_by_webhook_[d.webhook_id];
      // A hand-off of the same webhook during the claim may have taken its last free slots:
      // the delivery then waits for one.
      if (try_count_in_flight(d)) {
        starting.push_back(std::move(d));
      } else {
        enqueue_waiting(std::move(d), lease_until);
      }
    }
    for (const auto& [webhook, n] : busy) {
      if (n < options_.max_in_flight_per_webhook) continue;
      // The claim may have left due work of this webhook for want of a slot: the next claim
      // is due when it has one, or now if one was freed during the claim.
      const auto held = held_by_webhook_.find(webhook);
      if (held == held_by_webhook_.end() || held->second < options_.max_in_flight_per_webhook) {
        may_have_due_ = true;
      } else {
        passed_over_.insert(webhook);
      }
    }
  }
  for (auto& d : starting) dispatch(std::move(d));
  // Names found in the cache were answered during dispatch: those attempts go out now.
  send_resolved();
  return full ? Claimed::kAll : Claimed::kSome;
}

std::optional<OutgoingRequest> Dispatcher::prepare_request(const store::ClaimedDelivery& d,
                                                           domain::AttemptResult& refused) {
  const auto check = security::check_webhook_url(d.url, guard_);
  refused.at = clock_.now();
  if (check.problem == security::UrlProblem::kInvalid ||
      check.problem == security::UrlProblem::kUnsupportedProtocol || !check.target) {
    refused.fail(check.problem == security::UrlProblem::kForbiddenDestination
                     ? domain::AttemptError::kForbiddenDestination
                     : domain::AttemptError::kInvalidUrl,
                 check.detail);
    return std::nullopt;
  }
  const security::WebhookTarget& target = *check.target;
  OutgoingRequest request;
  request.url = d.url;
  request.host = target.host;
  request.port = target.port;
  request.target = target.target;
  request.address = target.literal;
  // localhost is the loopback host by definition (RFC 6761): no resolver is asked.
  if (target.is_localhost) request.address = security::IpAddress::v4(0x7f000001);
  return request;
}

void Dispatcher::sign_and_send(store::ClaimedDelivery d, OutgoingRequest request) {
  const int64_t timestamp =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  RequestContent content = build_request(d, timestamp, options_.secret_header);
  request.body = std::move(content.body);
  request.headers = std::move(content.headers);
  transport_.send(std::move(request),
                  [this, d = std::move(d)](domain::AttemptResult result) mutable {
                    complete(std::move(d), std::move(result));
                  });
}

void Dispatcher::dispatch(store::ClaimedDelivery d) {
  domain::AttemptResult refused;
  auto request = prepare_request(d, refused);
  if (!request) return complete(std::move(d), std::move(refused));
  if (request->address) return sign_and_send(std::move(d), std::move(*request));

  std::string host = unbracketed(request->host);
  Resolved pending{std::move(d), std::move(*request), host, std::chrono::steady_clock::now(), {}};
  // The attempt waits for its answer off this thread; the claim and its lease stay as they are.
  resolver_.resolve(host, [this, pending = std::move(pending)](Resolution answer) mutable {
    pending.resolution = std::move(answer);
    on_resolved(std::move(pending));
  });
}

void Dispatcher::on_resolved(Resolved resolved) {
  std::lock_guard lock(mutex_);
  resolved_.push_back(std::move(resolved));
  // Under the lock: once the attempt is recorded, stop() may return and this object go away.
  loop_.wake();
}

void Dispatcher::send_resolved() {
  std::vector<Resolved> ready;
  {
    std::lock_guard lock(mutex_);
    ready.swap(resolved_);
  }
  for (Resolved& r : ready) {
    const Resolution& answer = r.resolution;
    if (answer.error != ResolveError::kNone || answer.addresses.empty()) {
      domain::AttemptResult failed;
      failed.at = clock_.now();
      failed.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - r.started)
                               .count();
      fail_lookup(failed, r.host, answer);
      complete(std::move(r.delivery), std::move(failed));
      continue;
    }
    if (!guard_.allows_all(answer.addresses)) {
      domain::AttemptResult refused;
      refused.at = clock_.now();
      refused.fail(domain::AttemptError::kForbiddenDestination,
                   r.host + " resolves to a non-public address");
      complete(std::move(r.delivery), std::move(refused));
      continue;
    }
    // The connection goes to a checked address, whatever DNS says later.
    r.request.address = answer.addresses.front();
    sign_and_send(std::move(r.delivery), std::move(r.request));
  }
}

// The attempt's slot is free at once: the receiver no longer holds it, and its delivery stays
// leased until the attempt is recorded (or the lease ends), so no claim takes it again meanwhile.
void Dispatcher::complete(store::ClaimedDelivery delivery, domain::AttemptResult result) {
  std::lock_guard lock(mutex_);
  --in_flight_;
  if (--in_flight_by_webhook_[delivery.webhook_id] == 0) {
    in_flight_by_webhook_.erase(delivery.webhook_id);
  }
  release_held(delivery.webhook_id);
  mark_ready(delivery.webhook_id);
  if (metrics_) metrics_->set_in_flight(static_cast<int64_t>(in_flight_));
  to_record_.push_back(Completion{std::move(delivery), std::move(result)});
  ++unrecorded_;
  // Under the lock, as in on_resolved.
  recorder_.wake();
  loop_.wake();
}

std::optional<BackgroundLoop::TimePoint> Dispatcher::record_turn() {
  std::vector<Completion> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(to_record_);
  }
  if (batch.empty()) {
    // Stopped only once the dispatcher's loop has ended: nothing more can complete.
    return recorder_.stopping() ? std::nullopt : std::optional(BackgroundLoop::TimePoint::max());
  }
  const size_t recorded = batch.size();
  const bool retries = record(std::move(batch));
  std::lock_guard lock(mutex_);
  unrecorded_ -= recorded;
  if (retries) may_have_due_ = true;  // the next claim finds when the first retry is due
  loop_.wake();                       // room to claim again
  return std::chrono::steady_clock::now();
}

bool Dispatcher::record(std::vector<Completion> completions) {
  bool retries = false;
  const TimePoint now = clock_.now();
  std::vector<store::AttemptRecord> records;
  records.reserve(completions.size());
  for (Completion& c : completions) {
    const int attempt = c.delivery.attempts_made + 1;
    const RetryDecision decision =
        decide(c.result, attempt, options_.retry_schedule, now, jitter_());
    store::AttemptRecord r;
    r.delivery_id = c.delivery.id;
    r.webhook_id = c.delivery.webhook_id;
    r.attempt = attempt;
    switch (decision.verdict) {
      case Verdict::kSucceeded:
        r.new_status = domain::DeliveryStatus::kSucceeded;
        break;
      case Verdict::kRetry:
        r.new_status = domain::DeliveryStatus::kPending;
        r.next_attempt_at = decision.next_attempt_at;
        retries = true;
        break;
      case Verdict::kFailed:
        r.new_status = domain::DeliveryStatus::kFailed;
        break;
      case Verdict::kDisableWebhook:
        r.new_status = domain::DeliveryStatus::kFailed;
        r.disable_webhook = true;
        break;
    }
    if (metrics_) {
      using observability::Metrics;
      const auto outcome = decision.verdict == Verdict::kSucceeded ? Metrics::Outcome::kSucceeded
                           : decision.verdict == Verdict::kRetry   ? Metrics::Outcome::kRetried
                                                                   : Metrics::Outcome::kFailed;
      metrics_->attempt(Metrics::classify(c.result.status_code.value_or(0)), outcome,
                        std::chrono::milliseconds(c.result.duration_ms));
      if (outcome == Metrics::Outcome::kSucceeded) {
        metrics_->delivered_after(
            std::chrono::duration_cast<std::chrono::milliseconds>(now - c.delivery.created_at));
      }
    }
    r.result = std::move(c.result);
    records.push_back(std::move(r));
  }
  // A failed write leaves the deliveries leased: they are sent again when the leases run out.
  try {
    queue_.record_attempts(records, now, options_.disable_after);
  } catch (const std::exception& e) {
    log::error("recording attempts failed; their leases will expire and they will be retried",
               {{"error", e.what()}, {"attempts", records.size()}});
  }
  return retries;
}

}  // namespace hookd::delivery
