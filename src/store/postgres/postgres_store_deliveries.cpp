// PostgresStore: ingestion, matching and the delivery queue.
#include <algorithm>
#include <chrono>
#include <span>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "common/log.hpp"
#include "domain/webhook_health.hpp"
#include "store/hand_off_slots.hpp"
#include "store/postgres/claim_statements.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/postgres_matcher.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/postgres/work_listener.hpp"

namespace hookd::store::postgres {
namespace {

// The producer ids of a commit that events stored in the window hold already.
constexpr const char* kHeldProducerIds =
    "SELECT producer_id, event_id FROM producer_ids"
    " WHERE producer_id = ANY($1::text[]) AND created_at >= $2";
// Takes each producer id ($1, for the event $2) unless an event stored in the window $4 holds
// it; the ids taken come back. Two processes storing the same producer id at once queue on its
// row here, and the second then sees the first's, so deduplication holds across processes; the
// rows are taken in one order, so that two commits do not deadlock on them.
constexpr const char* kClaimProducerIds =
    "INSERT INTO producer_ids (producer_id, event_id, created_at)"
    " SELECT p, e, $3 FROM unnest($1::text[], $2::text[]) AS t(p, e) ORDER BY p"
    " ON CONFLICT (producer_id) DO UPDATE SET event_id = excluded.event_id,"
    " created_at = excluded.created_at WHERE producer_ids.created_at < $4"
    " RETURNING producer_id";
constexpr const char* kProducerIdEvents =
    "SELECT producer_id, event_id FROM producer_ids WHERE producer_id = ANY($1::text[])";
constexpr const char* kInsertEvents =
    "INSERT INTO events (id, producer_id, organization_id, device_id, topic, type, time, data,"
    " created_at)"
    " SELECT *, $9::bigint FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[],"
    " $5::int[], $6::text[], $7::bigint[], $8::text[])";
// One delivery per (event, webhook) pair the matching index found, in the order given, pending
// or skipped as the webhook's row says now (another process may have just disabled or deleted
// it: a webhook gone makes none). A pending one whose pair is marked `leased` is stored leased
// to $4 until $5 (the hand-off). Each row stored comes back.
constexpr const char* kInsertDeliveries =
    "INSERT INTO deliveries (webhook_id, event_id, status, next_attempt_at, lease_owner,"
    " lease_until, created_at, updated_at)"
    " SELECT w.id, m.event_id, CASE w.status WHEN 'enabled' THEN 'pending' ELSE 'skipped' END,"
    " CASE w.status WHEN 'enabled' THEN $3::bigint ELSE NULL END,"
    " CASE WHEN m.leased AND w.status = 'enabled' THEN $4::text END,"
    " CASE WHEN m.leased AND w.status = 'enabled' THEN $5::bigint END, $3::bigint, $3::bigint"
    " FROM unnest($1::text[], $2::bigint[], $6::bool[]) WITH ORDINALITY"
    "   AS m(event_id, webhook_id, leased, n)"
    " JOIN webhooks w ON w.id = m.webhook_id ORDER BY m.n"
    " RETURNING id, webhook_id, event_id, status = 'pending', lease_owner IS NOT NULL";
constexpr const char* kSendingWebhooks =
    "SELECT id, url, secret_hmac, secret_http FROM webhooks WHERE id = ANY($1::bigint[])";

constexpr const char* kSecretsInGrace =
    "SELECT webhook_id, secret FROM webhook_secrets"
    " WHERE webhook_id = ANY($1::bigint[]) AND expires_at > $2"
    " ORDER BY webhook_id, expires_at DESC";
constexpr const char* kQueueStats =
    "SELECT count(*), MIN(created_at) FROM deliveries WHERE status = 'pending'";
constexpr const char* kNextDue =
    "SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending'"
    " AND (lease_until IS NULL OR lease_until < $1)";
constexpr const char* kInsertAttempts =
    "INSERT INTO attempts (delivery_id, attempt, at, duration_ms, status_code, error,"
    " response_body) SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::bigint[],"
    " $5::int[], $6::text[], $7::text[])";
// A batch of attempts that all succeeded: no webhook is disabled, none skipped.
constexpr const char* kDeliveriesSucceeded =
    "UPDATE deliveries d SET status = 'succeeded', next_attempt_at = NULL,"
    " attempt_count = u.attempt, last_status_code = u.status_code, last_error = u.error,"
    " lease_owner = NULL, lease_until = NULL, updated_at = $5"
    " FROM unnest($1::bigint[], $2::int[], $3::int[], $4::text[])"
    "   AS u(id, attempt, status_code, error)"
    " WHERE d.id = u.id";
// Only webhooks that were failing are written (and locked), in one order.
constexpr const char* kWebhooksSucceeded =
    "UPDATE webhooks SET failing_since = NULL WHERE id IN (SELECT id FROM webhooks"
    " WHERE id = ANY($1::bigint[]) AND failing_since IS NOT NULL ORDER BY id FOR NO KEY UPDATE)";
// The webhooks of a batch whose state its attempts change, locked in one order: those with
// a failed attempt ($2) and those failing until now.
constexpr const char* kLockWebhooks =
    "SELECT id, status = 'enabled', failing_since FROM webhooks"
    " WHERE id = ANY($1::bigint[]) AND (id = ANY($2::bigint[]) OR failing_since IS NOT NULL)"
    " ORDER BY id FOR NO KEY UPDATE";
// A delivery skipped while its attempt was on the wire (its webhook was disabled, by hand or
// by an earlier attempt of the batch: `skip`) stays skipped unless that attempt succeeded.
constexpr const char* kUpdateDeliveries =
    "UPDATE deliveries d SET"
    " status = CASE WHEN (d.status = 'skipped' OR (u.skip AND d.status = 'pending'))"
    "   AND u.status <> 'succeeded' THEN 'skipped' ELSE u.status END,"
    " next_attempt_at = CASE WHEN (d.status = 'skipped' OR (u.skip AND d.status = 'pending'))"
    "   AND u.status <> 'succeeded' THEN NULL ELSE u.next_attempt_at END,"
    " attempt_count = u.attempt, last_status_code = u.status_code, last_error = u.error,"
    " lease_owner = NULL, lease_until = NULL, updated_at = $8"
    " FROM unnest($1::bigint[], $2::text[], $3::int[], $4::bigint[], $5::int[], $6::text[],"
    "   $7::bool[]) AS u(id, status, attempt, next_attempt_at, status_code, error, skip)"
    " WHERE d.id = u.id";
constexpr const char* kSetFailingSince =
    "UPDATE webhooks w SET failing_since = u.since"
    " FROM unnest($1::bigint[], $2::bigint[]) AS u(id, since) WHERE w.id = u.id";
constexpr const char* kDisableWebhook =
    "UPDATE webhooks SET status = 'disabled', disabled_reason = $2, modified_at = $3"
    " WHERE id = $1 AND status = 'enabled'";
constexpr const char* kSkipPendingOfWebhooks =
    "UPDATE deliveries SET status = 'skipped', next_attempt_at = NULL, lease_owner = NULL,"
    " lease_until = NULL, updated_at = $2 WHERE webhook_id = ANY($1::bigint[])"
    " AND status = 'pending'";

std::optional<int64_t> to_optional(const std::optional<int>& v) {
  if (!v) return std::nullopt;
  return int64_t{*v};
}

// One ingest commit. The events to store and their deliveries are decided in memory, walking
// the requests in order as Store::ingest describes, and then written set-based: a few
// statements whatever the number of events.
class IngestCommit {
 public:
  IngestCommit(Connection& c, const PostgresMatcher& matcher,
               const std::vector<const IngestRequest*>& requests, int64_t now_us,
               int64_t window_start, size_t max_deliveries, HandOffSlots& slots,
               int64_t lease_until_us)
      : c_(c),
        matcher_(matcher),
        requests_(requests),
        now_us_(now_us),
        window_start_(window_start),
        max_deliveries_(max_deliveries),
        slots_(slots),
        lease_until_us_(lease_until_us),
        outcomes_(requests.size()) {}

  // After run(): the deliveries stored leased to the slots' room (without their webhooks' URLs
  // and secrets), and whether pending ones were stored without a lease.
  std::vector<ClaimedDelivery>& leased() { return leased_; }
  bool left_pending() const { return left_pending_; }

  std::vector<IngestOutcome> run() {
    // The walk takes every producer id not yet looked up as free; one found held turns its
    // event into a duplicate, which frees room in the commit for more events.
    do {
      walk();
    } while (look_up_producer_ids() > 0);
    claim_producer_ids();
    write_events();
    write_deliveries();
    for (const Duplicate& d : duplicates_) {
      IngestedEvent& answer = outcomes_[d.request].events[d.slot];
      const auto taken = taken_.find(d.producer_id);
      answer.id =
          taken != taken_.end() ? stored_[taken->second].event->id : held_.at(d.producer_id);
    }
    return std::move(outcomes_);
  }

 private:
  struct StoredEvent {
    const domain::Event* event;
    domain::OrganizationId organization_id;
    size_t request, slot;             // its answer: outcomes_[request].events[slot]
    size_t first_match, match_count;  // its webhooks in match_webhooks_
    bool dropped = false;             // found a duplicate after all: not written
  };
  // An answer whose id is the event that holds the producer id, known at the end.
  struct Duplicate {
    size_t request, slot;
    std::string_view producer_id;
  };

  // Goes on from where it stopped until the commit holds max_deliveries delivery rows or every
  // request is walked.
  void walk() {
    while (next_request_ < requests_.size() && written_ < max_deliveries_) {
      const IngestRequest& request = *requests_[next_request_];
      IngestOutcome& outcome = outcomes_[next_request_];
      if (!started_) {
        // Every device first: a request with one unknown device stores nothing. A request
        // resumed had its devices checked before its first part; one gone since matches nothing.
        devices_.clear();
        for (size_t i = request.resume_at; i < request.events.size(); ++i) {
          auto facts = matcher_.device(request.events[i].device_id);
          if (!facts && request.resume_at == 0) {
            outcome.ok = false;
            outcome.missing_device = request.events[i].device_id;
            break;
          }
          devices_.push_back(facts);
        }
        if (!outcome.ok) {
          ++next_request_;
          continue;
        }
        started_ = true;
        next_event_ = request.resume_at;
      }
      for (; next_event_ < request.events.size() && written_ < max_deliveries_; ++next_event_) {
        walk_event(request.events[next_event_], devices_[next_event_ - request.resume_at]);
      }
      if (next_event_ < request.events.size()) return;  // the commit is full
      ++next_request_;
      started_ = false;
    }
  }

  void walk_event(const domain::Event& e, const std::optional<DeviceView>& device) {
    IngestOutcome& outcome = outcomes_[next_request_];
    if (!device) {
      outcome.events.push_back(IngestedEvent{e.id, 0, false});
      return;
    }
    if (e.producer_id) {
      const std::string_view producer_id = *e.producer_id;
      if (taken_.contains(producer_id) || held_.contains(producer_id)) {
        duplicates_.push_back({next_request_, outcome.events.size(), producer_id});
        outcome.events.push_back(IngestedEvent{{}, 0, true});
        return;
      }
      taken_.emplace(producer_id, stored_.size());
      if (looked_up_.insert(producer_id).second) to_look_up_.push_back(producer_id);
    }
    const size_t first_match = match_webhooks_.size();
    matches_.clear();
    matcher_.match(e.device_id, *device, e.topic, matches_);
    for (const WebhookMatch& m : matches_) {
      match_webhooks_.push_back(m.webhook_id);
      match_enabled_.push_back(m.enabled);
    }
    stored_.push_back(StoredEvent{&e, device->organization_id, next_request_, outcome.events.size(),
                                  first_match, matches_.size()});
    written_ += matches_.size();
    outcome.events.push_back(IngestedEvent{e.id, static_cast<int64_t>(matches_.size()), false});
  }

  // The walk's new producer ids held by events stored in the window: their events become
  // duplicates. Returns how many.
  size_t look_up_producer_ids() {
    if (to_look_up_.empty()) return 0;
    Result r = c_.exec(kHeldProducerIds, Params().add(texts(to_look_up_)).add(window_start_));
    to_look_up_.clear();
    for (int i = 0; i < r.rows(); ++i) {
      mark_held(r.get_text(i, 0), r.get_text(i, 1));
    }
    return static_cast<size_t>(r.rows());
  }

  // A producer id that an event outside this commit holds: the event of this commit that
  // took it is a duplicate of that one, and its deliveries are not written.
  void mark_held(const std::string& producer_id, std::string event_id) {
    const auto taken = taken_.find(producer_id);
    if (taken == taken_.end()) return;
    StoredEvent& s = stored_[taken->second];
    const std::string_view key = *s.event->producer_id;  // lives as long as the requests
    taken_.erase(taken);
    s.dropped = true;
    written_ -= s.match_count;
    outcomes_[s.request].events[s.slot] = IngestedEvent{event_id, 0, true};
    held_.emplace(key, std::move(event_id));
  }

  // Another process may have taken one of them since the look-up; its event is then a
  // duplicate too (the commit holds fewer deliveries than it might: the rest wait for the next).
  void claim_producer_ids() {
    std::vector<std::optional<std::string>> ids, events;
    for (const StoredEvent& s : stored_) {
      if (s.dropped || !s.event->producer_id) continue;
      ids.emplace_back(*s.event->producer_id);
      events.emplace_back(s.event->id);
    }
    if (ids.empty()) return;
    Result r =
        c_.exec(kClaimProducerIds, Params().add(ids).add(events).add(now_us_).add(window_start_));
    if (static_cast<size_t>(r.rows()) == ids.size()) return;
    std::unordered_set<std::string> claimed;
    for (int i = 0; i < r.rows(); ++i) claimed.insert(r.get_text(i, 0));
    std::erase_if(ids, [&](const std::optional<std::string>& id) { return claimed.contains(*id); });
    Result holders = c_.exec(kProducerIdEvents, Params().add(ids));
    // Purged in between: the commit is run again from the start.
    if (static_cast<size_t>(holders.rows()) != ids.size()) {
      throw TransientError("postgres: a producer id changed during the ingest commit");
    }
    for (int i = 0; i < holders.rows(); ++i) {
      mark_held(holders.get_text(i, 0), holders.get_text(i, 1));
    }
  }

  void write_events() {
    std::vector<std::optional<std::string>> ids, producer_ids, types, data;
    std::vector<int64_t> organizations, devices, topics, times;
    for (const StoredEvent& s : stored_) {
      if (s.dropped) continue;
      const domain::Event& e = *s.event;
      ids.emplace_back(e.id);
      producer_ids.push_back(e.producer_id);
      organizations.push_back(s.organization_id);
      devices.push_back(e.device_id);
      topics.push_back(int64_t{static_cast<uint8_t>(e.topic)});
      types.push_back(e.type);
      times.push_back(to_unix_micros(e.time));
      data.emplace_back(e.data_json);
    }
    if (ids.empty()) return;
    c_.exec(kInsertEvents, Params()
                               .add(ids)
                               .add(producer_ids)
                               .add(organizations)
                               .add(devices)
                               .add(topics)
                               .add(types)
                               .add(times)
                               .add(data)
                               .add(now_us_));
  }

  void write_deliveries() {
    std::vector<std::optional<std::string>> events;
    std::vector<int64_t> webhooks;
    std::vector<domain::WebhookId> enabled;  // a slot is asked for each
    std::unordered_map<std::string_view, const StoredEvent*> by_id;
    for (const StoredEvent& s : stored_) {
      if (s.dropped || s.match_count == 0) continue;
      by_id.emplace(s.event->id, &s);
      for (size_t i = s.first_match; i < s.first_match + s.match_count; ++i) {
        events.emplace_back(s.event->id);
        webhooks.push_back(match_webhooks_[i]);
        if (match_enabled_[i]) enabled.push_back(match_webhooks_[i]);
      }
    }
    if (webhooks.empty()) return;
    // Slots for what the index knows as enabled, all at once; the row decides.
    const std::vector<bool> granted = slots_.take(enabled);
    std::vector<bool> leased;
    leased.reserve(webhooks.size());
    size_t next_enabled = 0;
    for (const StoredEvent& s : stored_) {
      if (s.dropped || s.match_count == 0) continue;
      for (size_t i = s.first_match; i < s.first_match + s.match_count; ++i) {
        leased.push_back(match_enabled_[i] && granted[next_enabled++]);
      }
    }
    const HandOffRoom* room = slots_.room();
    Result r = c_.exec(kInsertDeliveries, Params()
                                              .add(events)
                                              .add(webhooks)
                                              .add(now_us_)
                                              .add(room ? room->owner() : std::string())
                                              .add(lease_until_us_)
                                              .add(leased));
    std::unordered_map<std::string_view, int64_t> per_event;
    for (int i = 0; i < r.rows(); ++i) {
      const StoredEvent& s = *by_id.at(r.get_text(i, 2));
      ++per_event[s.event->id];
      const bool stored_leased = r.get_bool(i, 4);
      if (r.get_bool(i, 3) && !stored_leased) left_pending_ = true;  // for a claim
      if (!stored_leased) continue;
      ClaimedDelivery d;
      d.id = r.get_int(i, 0);
      d.webhook_id = r.get_int(i, 1);
      d.event = *s.event;
      d.event.organization_id = s.organization_id;
      d.created_at = from_unix_micros(now_us_);
      leased_.push_back(std::move(d));
    }
    if (static_cast<size_t>(r.rows()) == webhooks.size()) return;
    // A webhook the index matched is gone: each event's own count is what was stored.
    for (const StoredEvent& s : stored_) {
      if (s.dropped || s.match_count == 0) continue;
      const auto it = per_event.find(s.event->id);
      outcomes_[s.request].events[s.slot].deliveries = it == per_event.end() ? 0 : it->second;
    }
  }

  static std::vector<std::optional<std::string>> texts(const std::vector<std::string_view>& in) {
    return {in.begin(), in.end()};
  }

  Connection& c_;
  const PostgresMatcher& matcher_;
  const std::vector<const IngestRequest*>& requests_;
  const int64_t now_us_;
  const int64_t window_start_;
  const size_t max_deliveries_;
  HandOffSlots& slots_;
  const int64_t lease_until_us_;
  std::vector<IngestOutcome> outcomes_;
  std::vector<ClaimedDelivery> leased_;
  bool left_pending_ = false;

  // Where the walk stands.
  size_t next_request_ = 0;
  bool started_ = false;  // the devices of requests_[next_request_] are checked, in devices_
  size_t next_event_ = 0;
  std::vector<std::optional<DeviceView>> devices_;
  size_t written_ = 0;  // delivery rows of this commit

  std::vector<StoredEvent> stored_;
  std::vector<domain::WebhookId> match_webhooks_;
  std::vector<bool> match_enabled_;  // as the index knows it: match_webhooks_[i] is enabled
  std::vector<WebhookMatch> matches_;
  std::vector<Duplicate> duplicates_;
  // Producer ids, as views into the requests' events.
  std::unordered_map<std::string_view, size_t> taken_;      // by stored_[i] of this commit
  std::unordered_map<std::string_view, std::string> held_;  // by an earlier event: its id
  std::unordered_set<std::string_view> looked_up_;
  std::vector<std::string_view> to_look_up_;
};

void insert_attempts(Connection& c, const std::vector<const AttemptRecord*>& records) {
  std::vector<int64_t> deliveries, attempts, ats, durations;
  std::vector<std::optional<int64_t>> codes;
  std::vector<std::optional<std::string>> errors, bodies;
  for (const AttemptRecord* r : records) {
    deliveries.push_back(r->delivery_id);
    attempts.push_back(r->attempt);
    ats.push_back(to_unix_micros(r->result.at));
    durations.push_back(r->result.duration_ms);
    codes.push_back(to_optional(r->result.status_code));
    errors.push_back(r->result.error);
    bodies.emplace_back(r->result.response_body);
  }
  c.exec(kInsertAttempts, Params()
                              .add(deliveries)
                              .add(attempts)
                              .add(ats)
                              .add(durations)
                              .add(codes)
                              .add(errors)
                              .add(bodies));
}

// Records attempts that all succeeded, in three statements whatever their number.
void record_successes(Connection& c, const std::vector<const AttemptRecord*>& records,
                      int64_t now_us) {
  std::vector<int64_t> deliveries, attempts, codes, webhooks;
  std::vector<std::optional<std::string>> errors;
  for (const AttemptRecord* r : records) {
    deliveries.push_back(r->delivery_id);
    attempts.push_back(r->attempt);
    codes.push_back(r->result.status_code.value_or(0));
    errors.push_back(r->result.error);
    webhooks.push_back(r->webhook_id);
  }
  webhooks.erase(std::unique(webhooks.begin(), webhooks.end()), webhooks.end());  // sorted
  with_retries([&] {
    Transaction tx(c);
    c.exec(kWebhooksSucceeded, Params().add(webhooks));  // webhooks first: see record_attempts
    insert_attempts(c, records);
    c.exec(kDeliveriesSucceeded,
           Params().add(deliveries).add(attempts).add(codes).add(errors).add(now_us));
    tx.commit();
  });
}

// Records any batch: its webhooks' rows are locked and read first, what the attempts do to
// each is worked out in memory, and the attempts, deliveries and webhooks are then written
// set-based. A few statements whatever the batch's size, and one more per webhook disabled.
void record_batch(Connection& c, const std::vector<const AttemptRecord*>& ordered, TimePoint now,
                  std::chrono::milliseconds disable_after) {
  const int64_t now_us = to_unix_micros(now);
  std::vector<int64_t> webhooks, with_failures;
  for (const AttemptRecord* r : ordered) {
    if (webhooks.empty() || webhooks.back() != r->webhook_id) webhooks.push_back(r->webhook_id);
    if (r->new_status != domain::DeliveryStatus::kSucceeded || r->disable_webhook) {
      if (with_failures.empty() || with_failures.back() != r->webhook_id) {
        with_failures.push_back(r->webhook_id);
      }
    }
  }
  with_retries([&] {
    Transaction tx(c);
    struct WebhookState {
      bool enabled;
      std::optional<int64_t> failing_since;
    };
    std::unordered_map<int64_t, WebhookState> states;
    {
      Result r = c.exec(kLockWebhooks, Params().add(webhooks).add(with_failures));
      for (int i = 0; i < r.rows(); ++i) {
        states.emplace(r.get_int(i, 0), WebhookState{r.get_bool(i, 1), r.get_optional_int(i, 2)});
      }
    }
    std::vector<bool> skip(ordered.size(), false);
    std::vector<int64_t> since_ids, disabled;
    std::vector<std::optional<int64_t>> since;
    for (size_t first = 0; first < ordered.size();) {
      const int64_t webhook = ordered[first]->webhook_id;
      size_t end = first;
      while (end < ordered.size() && ordered[end]->webhook_id == webhook) ++end;
      const auto state = states.find(webhook);
      // Not locked: gone, or only successes on a webhook that was not failing.
      if (state != states.end()) {
        std::vector<domain::AttemptVerdict> verdicts;
        for (size_t k = first; k < end; ++k) {
          verdicts.push_back({ordered[k]->new_status == domain::DeliveryStatus::kSucceeded,
                              ordered[k]->disable_webhook});
        }
        domain::WebhookHealth health{state->second.enabled, std::nullopt};
        if (state->second.failing_since) {
          health.failing_since = from_unix_micros(*state->second.failing_since);
        }
        const domain::HealthChange change =
            domain::health_after(verdicts, health, now, disable_after);
        if (change.failing_since != health.failing_since) {
          since_ids.push_back(webhook);
          since.push_back(change.failing_since
                              ? std::optional(to_unix_micros(*change.failing_since))
                              : std::nullopt);
        }
        if (change.disabled_by) {
          c.exec(kDisableWebhook, Params().add(webhook).add(change.disabled_reason).add(now_us));
          disabled.push_back(webhook);
          for (size_t k = first + *change.disabled_by + 1; k < end; ++k) skip[k] = true;
        }
      }
      first = end;
    }
    insert_attempts(c, ordered);
    std::vector<int64_t> ids, attempts;
    std::vector<std::optional<int64_t>> next, codes;
    std::vector<std::optional<std::string>> statuses, errors;
    for (const AttemptRecord* r : ordered) {
      ids.push_back(r->delivery_id);
      statuses.emplace_back(domain::delivery_status_name(r->new_status));
      attempts.push_back(r->attempt);
      next.push_back(r->next_attempt_at ? std::optional(to_unix_micros(*r->next_attempt_at))
                                        : std::nullopt);
      codes.push_back(to_optional(r->result.status_code));
      errors.push_back(r->result.error);
    }
    c.exec(kUpdateDeliveries, Params()
                                  .add(ids)
                                  .add(statuses)
                                  .add(attempts)
                                  .add(next)
                                  .add(codes)
                                  .add(errors)
                                  .add(skip)
                                  .add(now_us));
    // On disabling, what was still to be sent is kept as skipped, for a later recover.
    if (!disabled.empty()) c.exec(kSkipPendingOfWebhooks, Params().add(disabled).add(now_us));
    if (!since_ids.empty()) c.exec(kSetFailingSince, Params().add(since_ids).add(since));
    tx.commit();
  });
}

// Never sent unsigned or wrongly signed: it stays leased, and is tried when the lease ends.
void hold_unopenable(const ClaimedDelivery& d, const SecretUnavailable& e) {
  log::error("delivery held: its webhook's secret does not open",
             {{"delivery_id", d.id}, {"webhook_id", d.webhook_id}, {"error", e.what()}});
}

// The caller's attempts in flight for `webhook`, as the claim statements take them.
int64_t& busy_of(std::vector<int64_t>& ids, std::vector<int64_t>& counts,
                 domain::WebhookId webhook) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == webhook) return counts[i];
  }
  ids.push_back(webhook);
  counts.push_back(0);
  return counts.back();
}

}  // namespace

void PostgresStore::prepare_ingestion() {
  auto c = pool_.acquire();
  Transaction tx(*c);
  std::lock_guard matching(matcher_mutex_);
  matcher_.refresh(*c);
  tx.commit();
}

std::vector<IngestOutcome> PostgresStore::ingest(const std::vector<const IngestRequest*>& requests,
                                                 TimePoint now, size_t max_deliveries,
                                                 HandOffRoom* room) {
  const int64_t now_us = to_unix_micros(now);
  const int64_t window_start = to_unix_micros(now - domain::kProducerIdWindow);
  const TimePoint lease_until = room ? now + room->lease() : now;
  auto c = pool_.acquire();
  // Ingestors of several processes can take the same producer ids in different orders and
  // deadlock; PostgreSQL then aborts one of them, which is simply run again.
  return with_retries([&] {
    // A commit run again takes its slots anew: those of the failed run go back here.
    HandOffSlots slots(room);
    Transaction tx(*c);
    std::lock_guard matching(matcher_mutex_);
    matcher_.refresh(*c);
    IngestCommit commit(*c, matcher_, requests, now_us, window_start, max_deliveries, slots,
                        to_unix_micros(lease_until));
    std::vector<IngestOutcome> outcomes = commit.run();
    std::vector<ClaimedDelivery> leased;
    if (!commit.leased().empty()) leased = opened_hand_off(*c, std::move(commit.leased()), now);
    // What no process holds yet: the workers of every process hear of it.
    if (commit.left_pending()) {
      slots.left_pending();
      c->exec_script(kNotifyNewWork);
    }
    tx.commit();
    slots.hand_off(std::move(leased), lease_until);
    return outcomes;
  });
}

std::vector<ClaimedDelivery> PostgresStore::opened_hand_off(Connection& c,
                                                            std::vector<ClaimedDelivery> leased,
                                                            TimePoint now) {
  std::vector<int64_t> webhooks;
  for (const ClaimedDelivery& d : leased) webhooks.push_back(d.webhook_id);
  std::sort(webhooks.begin(), webhooks.end());
  webhooks.erase(std::unique(webhooks.begin(), webhooks.end()), webhooks.end());
  std::unordered_map<int64_t, StoredSigning> stored;
  Result w = c.exec(kSendingWebhooks, Params().add(webhooks));
  for (int i = 0; i < w.rows(); ++i) {
    stored[w.get_int(i, 0)] = {w.get_text(i, 1), w.get_text(i, 2), w.get_optional_text(i, 3)};
  }
  // Each row is there: the insert's foreign key check holds it until the commit.
  return with_signing(c, std::move(leased), stored, now);
}

std::vector<ClaimedDelivery> PostgresStore::claim_due(
    std::string_view owner, TimePoint now, TimePoint lease_until, size_t limit,
    size_t per_webhook_cap, const std::map<domain::WebhookId, size_t>& in_flight) {
  std::vector<int64_t> busy_ids;
  std::vector<int64_t> busy_counts;
  for (const auto& [id, n] : in_flight) {
    busy_ids.push_back(id);
    busy_counts.push_back(static_cast<int64_t>(n));
  }
  auto c = pool_.acquire();
  // The rows stay locked until the lease is set. The head first; when it was full of rows it
  // could not take, each webhook's oldest.
  const int64_t head = static_cast<int64_t>(limit) + kHeadBudget;
  int64_t head_rows = 0;
  Result r = with_retries([&] {
    Transaction tx(*c, kHeadTransaction);
    Result locked = c->exec(kLockHead, Params().add(to_unix_micros(now)).add(head));
    head_rows = locked.rows();
    if (head_rows == 0) {  // nothing due: no lease to write
      tx.commit();
      return locked;
    }
    std::vector<int64_t> ids, webhooks, due;
    for (int i = 0; i < locked.rows(); ++i) {
      ids.push_back(locked.get_int(i, 0));
      webhooks.push_back(locked.get_int(i, 1));
      due.push_back(locked.get_int(i, 2));
    }
    c->exec_script(kUnpinPlan);
    Result claimed = c->exec(kLeaseHead, Params()
                                             .add(owner)
                                             .add(to_unix_micros(lease_until))
                                             .add(ids)
                                             .add(webhooks)
                                             .add(due)
                                             .add(busy_ids)
                                             .add(busy_counts)
                                             .add(static_cast<int64_t>(per_webhook_cap))
                                             .add(static_cast<int64_t>(limit)));
    tx.commit();
    return claimed;
  });
  const bool head_full = head_rows == head;
  if (static_cast<size_t>(r.rows()) < limit && head_full) {
    // What the head took is leased now: the walk over each webhook passes it by.
    std::vector<ClaimedDelivery> first = opened_claims(*c, r, now);
    for (const ClaimedDelivery& d : first) ++busy_of(busy_ids, busy_counts, d.webhook_id);
    Result rest = c->exec(kClaimDue, Params()
                                         .add(owner)
                                         .add(to_unix_micros(lease_until))
                                         .add(to_unix_micros(now))
                                         .add(static_cast<int64_t>(limit - r.rows()))
                                         .add(busy_ids)
                                         .add(busy_counts)
                                         .add(static_cast<int64_t>(per_webhook_cap)));
    std::vector<ClaimedDelivery> more = opened_claims(*c, rest, now);
    first.insert(first.end(), std::make_move_iterator(more.begin()),
                 std::make_move_iterator(more.end()));
    return first;
  }
  return opened_claims(*c, r, now);
}

std::vector<ClaimedDelivery> PostgresStore::opened_claims(Connection& c, const Result& r,
                                                          TimePoint now) {
  std::vector<ClaimedDelivery> out;
  out.reserve(static_cast<size_t>(r.rows()));
  std::unordered_map<int64_t, StoredSigning> stored;
  for (int i = 0; i < r.rows(); ++i) {
    ClaimedDelivery d;
    d.id = r.get_int(i, 0);
    d.webhook_id = r.get_int(i, 1);
    d.attempts_made = static_cast<int>(r.get_int(i, 2));
    d.event.id = r.get_text(i, 3);
    d.event.producer_id = r.get_optional_text(i, 4);
    d.event.organization_id = r.get_int(i, 5);
    d.event.device_id = r.get_int(i, 6);
    d.event.topic = static_cast<domain::Topic>(r.get_int(i, 7));
    d.event.type = r.get_optional_text(i, 8);
    d.event.time = from_unix_micros(r.get_int(i, 9));
    d.event.data_json = r.get_text(i, 10);
    d.created_at = from_unix_micros(r.get_int(i, 14));
    if (!stored.contains(d.webhook_id)) {
      stored[d.webhook_id] = {r.get_text(i, 11), r.get_text(i, 12), r.get_optional_text(i, 13)};
    }
    out.push_back(std::move(d));
  }
  return with_signing(c, std::move(out), stored, now);
}

std::vector<ClaimedDelivery> PostgresStore::with_signing(
    Connection& c, std::vector<ClaimedDelivery> deliveries,
    const std::unordered_map<int64_t, StoredSigning>& stored, TimePoint now) {
  if (deliveries.empty()) return deliveries;
  // Each webhook's secrets are opened once, however many of its deliveries there are: the
  // current ones, then those still in grace, newest first.
  struct Opened {
    std::vector<std::string> hmac;
    std::optional<std::string> http;
    std::optional<SecretUnavailable> error;  // set: they do not open
  };
  std::unordered_map<int64_t, Opened> opened;
  std::vector<int64_t> webhooks;
  for (const auto& [webhook, s] : stored) {
    webhooks.push_back(webhook);
    Opened& o = opened[webhook];
    try {
      o.hmac.push_back(open_secret(webhook, SecretField::kHmac, std::string_view(s.hmac)));
      o.http = open_secret(webhook, SecretField::kHttp, s.http);
    } catch (const SecretUnavailable& e) {
      o.error = e;
    }
  }
  Result older = c.exec(kSecretsInGrace, Params().add(webhooks).add(to_unix_micros(now)));
  for (int i = 0; i < older.rows(); ++i) {
    Opened& o = opened[older.get_int(i, 0)];
    if (o.error) continue;
    try {
      o.hmac.push_back(open_secret(older.get_int(i, 0), SecretField::kHmacInGrace,
                                   std::string_view(older.get_text(i, 1))));
    } catch (const SecretUnavailable& e) {
      o.error = e;
    }
  }
  std::vector<ClaimedDelivery> out;
  out.reserve(deliveries.size());
  for (ClaimedDelivery& d : deliveries) {
    const Opened& o = opened.at(d.webhook_id);
    if (o.error) {
      hold_unopenable(d, *o.error);
      continue;
    }
    d.url = stored.at(d.webhook_id).url;
    d.hmac_secrets = o.hmac;
    d.secret_http = o.http;
    out.push_back(std::move(d));
  }
  return out;
}

std::optional<TimePoint> PostgresStore::next_due() {
  auto c = pool_.acquire();
  Result r = c->exec(kNextDue, Params().add(to_unix_micros(clock_.now())));
  if (r.rows() == 0 || r.is_null(0, 0)) return std::nullopt;
  return from_unix_micros(r.get_int(0, 0));
}

void PostgresStore::record_attempts(const std::vector<AttemptRecord>& records, TimePoint now,
                                    std::chrono::milliseconds disable_after) {
  if (records.empty()) return;
  // Webhook rows are shared by every process's batches: taking their locks in one order (by
  // webhook) keeps two batches from deadlocking on them. Each webhook's attempts keep the
  // order they were given in, which is the order their health is judged in.
  std::vector<const AttemptRecord*> ordered;
  ordered.reserve(records.size());
  for (const AttemptRecord& r : records) ordered.push_back(&r);
  std::stable_sort(
      ordered.begin(), ordered.end(),
      [](const AttemptRecord* a, const AttemptRecord* b) { return a->webhook_id < b->webhook_id; });
  const int64_t now_us = to_unix_micros(now);
  auto c = pool_.acquire();
  const bool all_succeeded =
      std::all_of(ordered.begin(), ordered.end(), [](const AttemptRecord* r) {
        return r->new_status == domain::DeliveryStatus::kSucceeded && !r->disable_webhook;
      });
  if (all_succeeded) {
    record_successes(*c, ordered, now_us);
    return;
  }
  record_batch(*c, ordered, now, disable_after);
}

QueueStats PostgresStore::queue_stats() {
  auto c = pool_.acquire();
  Result r = c->exec(kQueueStats);
  QueueStats stats;
  if (r.rows() > 0) {
    stats.pending = r.get_int(0, 0);
    if (auto oldest = r.get_optional_int(0, 1)) {
      stats.oldest_pending_created_at = from_unix_micros(*oldest);
    }
  }
  return stats;
}

// Deliberately nothing. SQLite's store frees every lease at start because its one process
// is the only one that could hold them. Here other live processes share the queue, and
// freeing their leases would let a second process send what they are sending right now.
// A lease of a process that is gone runs out by itself (at most the lease length), and
// claim_due then takes its deliveries over.
void PostgresStore::release_all_leases() {}

}  // namespace hookd::store::postgres
