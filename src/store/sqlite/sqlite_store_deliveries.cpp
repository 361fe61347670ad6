// SqliteStore: ingestion, matching and the delivery queue.
#include <algorithm>
#include <chrono>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "common/log.hpp"
#include "domain/webhook_health.hpp"
#include "store/hand_off_slots.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/valid_text.hpp"

namespace hookd::store::sqlite {
namespace {

constexpr const char* kFindProducerId =
    "SELECT event_id, created_at FROM producer_ids WHERE producer_id = ?1";
constexpr const char* kUpsertProducerId =
    "INSERT INTO producer_ids (producer_id, event_id, created_at) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (producer_id) DO UPDATE SET event_id = excluded.event_id,"
    " created_at = excluded.created_at";
constexpr const char* kInsertEvent =
    "INSERT INTO events (id, producer_id, organization_id, device_id, topic, type, time, data,"
    " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
// One per webhook the event matches; the webhook's state comes from the matching index,
// exact under the write lock this transaction holds.
constexpr const char* kInsertDelivery =
    "INSERT INTO deliveries (webhook_id, event_id, status, next_attempt_at, created_at,"
    " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)";

// A claim walks the due deliveries oldest first, by id within one time and webhook (the
// order of deliveries_due, which covers the walk: it holds each one's webhook, so
// skipping a leased delivery or one of a webhook at its cap reads no table row) and takes
// what it may, for at most kWalkBudget rows beyond its limit and the leases it must step
// over. Past that, the rows at the head belong to webhooks at their cap (a hung receiver's
// backlog): the claim then visits the webhooks that have pending deliveries instead, one
// index seek each (a skip scan of deliveries_pending_by_webhook), and takes from each with
// free slots its oldest due deliveries, so that its cost grows with the webhooks and the
// slots, not with the backlog behind a webhook at its cap.
constexpr size_t kWalkBudget = 256;
constexpr const char* kDueInOrder =
    "SELECT id, webhook_id, next_attempt_at FROM deliveries INDEXED BY deliveries_due"
    " WHERE status = 'pending' AND next_attempt_at <= ?1 ORDER BY next_attempt_at, webhook_id";
constexpr const char* kNextWebhookWithPending =
    "SELECT webhook_id FROM deliveries INDEXED BY deliveries_pending_by_webhook"
    " WHERE status = 'pending' AND webhook_id > ?1 ORDER BY webhook_id LIMIT 1";
constexpr const char* kDueOfWebhook =
    "SELECT id, next_attempt_at FROM deliveries INDEXED BY deliveries_pending_by_webhook"
    " WHERE webhook_id = ?1 AND status = 'pending' AND next_attempt_at <= ?2"
    " ORDER BY next_attempt_at LIMIT ?3";
constexpr const char* kClaimedWebhook =
    "SELECT status, url, secret_hmac, secret_http FROM webhooks WHERE id = ?1";
constexpr const char* kClaimedDetails =
    "SELECT d.attempt_count, e.id, e.producer_id, e.organization_id, e.device_id, e.topic,"
    " e.type, e.time, e.data, d.created_at"
    " FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = ?1";
constexpr const char* kSecretsInGrace =
    "SELECT secret FROM webhook_secrets WHERE webhook_id = ?1 AND expires_at > ?2"
    " ORDER BY expires_at DESC";
constexpr const char* kQueueStats =
    "SELECT count(*), MIN(created_at) FROM deliveries WHERE status = 'pending'";
// The first pending delivery not leased: the leased ones are stepped over in memory.
constexpr const char* kPendingInOrder =
    "SELECT id, next_attempt_at FROM deliveries INDEXED BY deliveries_due"
    " WHERE status = 'pending' ORDER BY next_attempt_at, webhook_id";
constexpr const char* kInsertAttempt =
    "INSERT INTO attempts (delivery_id, attempt, at, duration_ms, status_code, error,"
    " response_body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
// A delivery skipped while its attempt was on the wire (its webhook was disabled) stays
// skipped unless that attempt succeeded.
constexpr const char* kUpdateDelivery =
    "UPDATE deliveries SET"
    " status = CASE WHEN status = 'skipped' AND ?2 != 'succeeded' THEN 'skipped' ELSE ?2 END,"
    " next_attempt_at = CASE WHEN status = 'skipped' AND ?2 != 'succeeded' THEN NULL ELSE ?4 END,"
    " attempt_count = ?3, last_status_code = ?5, last_error = ?6, updated_at = ?7 WHERE id = ?1";
constexpr const char* kWebhookHealth =
    "SELECT status = 'enabled', failing_since FROM webhooks WHERE id = ?1";
constexpr const char* kSetFailingSince = "UPDATE webhooks SET failing_since = ?2 WHERE id = ?1";
constexpr const char* kDisableWebhook =
    "UPDATE webhooks SET status = 'disabled', disabled_reason = ?2, modified_at = ?3"
    " WHERE id = ?1 AND status = 'enabled'";
constexpr const char* kSkipPendingOfWebhook =
    "UPDATE deliveries SET status = 'skipped', next_attempt_at = NULL, updated_at = ?2"
    " WHERE webhook_id = ?1 AND status = 'pending'";
constexpr const char* kReleaseAllLeases =
    "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL";

std::optional<int64_t> to_optional(const std::optional<int>& v) {
  if (!v) return std::nullopt;
  return int64_t{*v};
}

}  // namespace

void SqliteStore::prepare_ingestion() {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  matcher_.refresh(*c);
  tx.commit();
}

void SqliteStore::signing_secrets(Connection& c, domain::WebhookId webhook,
                                  const std::optional<std::string>& stored_hmac,
                                  const std::optional<std::string>& stored_http, int64_t now_us,
                                  std::vector<std::string>& hmac,
                                  std::optional<std::string>& http) {
  hmac.push_back(
      open_secret(webhook, SecretField::kHmac, std::string_view(stored_hmac.value_or(""))));
  http = open_secret(webhook, SecretField::kHttp, stored_http);
  Statement older = c.prepare(kSecretsInGrace);
  older.bind(1, webhook).bind(2, now_us);
  while (older.step()) {
    hmac.push_back(
        open_secret(webhook, SecretField::kHmacInGrace, std::string_view(older.column_text(0))));
  }
}

std::vector<IngestOutcome> SqliteStore::ingest(const std::vector<const IngestRequest*>& requests,
                                               TimePoint now, size_t max_deliveries,
                                               HandOffRoom* room) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  const int64_t now_us = to_unix_micros(now);
  // The hand-off: the new pending deliveries a room may take, which get their slots and
  // in-memory leases at once just before the commit (a claim that sees their rows sees them
  // leased; the leases end if the commit fails), and are made up for sending after it.
  HandOffSlots slots(room);
  const TimePoint lease_until = room ? now + room->lease() : now;
  struct Candidate {
    domain::DeliveryId id;
    domain::WebhookId webhook;
    const domain::Event* event;
    domain::OrganizationId organization;
  };
  std::vector<Candidate> candidates;
  std::vector<LeaseTable::Entry> leased;
  struct EndLeasesUnlessCommitted {
    LeaseTable& leases;
    const std::vector<LeaseTable::Entry>& leased;
    bool committed = false;
    ~EndLeasesUnlessCommitted() {
      if (!committed) leases.release(leased);
    }
  } end_leases{leases_, leased};
  const int64_t window_start = to_unix_micros(now - domain::kProducerIdWindow);
  matcher_.refresh(*c);
  std::vector<IngestOutcome> outcomes;
  outcomes.reserve(requests.size());
  std::vector<WebhookMatch> matches;
  size_t written = 0;  // delivery rows of this commit
  for (const IngestRequest* request : requests) {
    IngestOutcome outcome;
    if (written >= max_deliveries) {  // the commit is full: this request waits for the next
      outcomes.push_back(std::move(outcome));
      continue;
    }
    // Every device first: a request with one unknown device stores nothing. A request resumed
    // had its devices checked before its first part; one gone since matches nothing.
    std::vector<std::optional<DeviceView>> devices;
    devices.reserve(request->events.size());
    for (size_t i = request->resume_at; i < request->events.size(); ++i) {
      const domain::Event& e = request->events[i];
      auto facts = matcher_.device(e.device_id);
      if (!facts && request->resume_at == 0) {
        outcome.ok = false;
        outcome.missing_device = e.device_id;
        break;
      }
      devices.push_back(facts);
    }
    if (!outcome.ok) {
      outcomes.push_back(std::move(outcome));
      continue;
    }
    for (size_t i = request->resume_at; i < request->events.size() && written < max_deliveries;
         ++i) {
      const domain::Event& e = request->events[i];
      const std::optional<DeviceView>& device = devices[i - request->resume_at];
      if (!device) {
        outcome.events.push_back(IngestedEvent{e.id, 0, false});
        continue;
      }
      if (e.producer_id) {
        Statement s = c->prepare(kFindProducerId);
        s.bind(1, std::string_view(*e.producer_id));
        if (s.step() && s.column_int(1) >= window_start) {
          outcome.events.push_back(IngestedEvent{s.column_text(0), 0, true});
          continue;
        }
      }
      c->prepare(kInsertEvent)
          .bind(1, std::string_view(e.id))
          .bind(2, e.producer_id)
          .bind(3, device->organization_id)
          .bind(4, e.device_id)
          .bind(5, int64_t{static_cast<uint8_t>(e.topic)})
          .bind(6, e.type)
          .bind(7, to_unix_micros(e.time))
          .bind(8, std::string_view(e.data_json))
          .bind(9, now_us)
          .run();
      if (e.producer_id) {
        c->prepare(kUpsertProducerId)
            .bind(1, std::string_view(*e.producer_id))
            .bind(2, std::string_view(e.id))
            .bind(3, now_us)
            .run();
      }
      matches.clear();
      matcher_.match(e.device_id, *device, e.topic, matches);
      for (const WebhookMatch& m : matches) {
        c->prepare(kInsertDelivery)
            .bind(1, m.webhook_id)
            .bind(2, std::string_view(e.id))
            .bind(3, std::string_view(m.enabled ? "pending" : "skipped"))
            .bind(4, m.enabled ? std::optional<int64_t>(now_us) : std::nullopt)
            .bind(5, now_us)
            .run();
        // The index's state is exact under the write lock.
        if (!m.enabled || !room) continue;
        candidates.push_back({c->last_insert_rowid(), m.webhook_id, &e, device->organization_id});
      }
      written += matches.size();
      outcome.events.push_back(IngestedEvent{e.id, static_cast<int64_t>(matches.size()), false});
    }
    outcomes.push_back(std::move(outcome));
  }
  if (!candidates.empty()) {
    std::vector<domain::WebhookId> webhooks;
    webhooks.reserve(candidates.size());
    for (const Candidate& k : candidates) webhooks.push_back(k.webhook);
    const std::vector<bool> granted = slots.take(webhooks);
    const int64_t until_us = to_unix_micros(lease_until);
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (granted[i]) {
        leased.push_back({candidates[i].id, candidates[i].webhook, until_us});
      } else {
        slots.left_pending();
      }
    }
    leases_.hold(leased);
  }
  tx.commit();
  end_leases.committed = true;
  std::vector<ClaimedDelivery> handed;
  handed.reserve(leased.size());
  for (size_t i = 0, k = 0; i < candidates.size() && k < leased.size(); ++i) {
    if (candidates[i].id != leased[k].delivery) continue;
    ClaimedDelivery d;
    d.id = candidates[i].id;
    d.webhook_id = candidates[i].webhook;
    d.event = *candidates[i].event;
    d.event.organization_id = candidates[i].organization;
    d.created_at = now;
    handed.push_back(std::move(d));
    ++k;
  }
  if (!handed.empty()) {
    try {
      with_senders(*c, handed, now, slots);
    } catch (const std::exception& e) {
      // Stored all the same: the events are answered as stored, their deliveries claimed.
      log::error("handing off new deliveries failed; they are left for a claim",
                 {{"error", e.what()}, {"deliveries", handed.size()}});
      for (const ClaimedDelivery& d : handed) leases_.release(d.id);
      handed.clear();
      slots.left_pending();
    }
  }
  slots.hand_off(std::move(handed), lease_until);
  return outcomes;
}

void SqliteStore::with_senders(Connection& c, std::vector<ClaimedDelivery>& handed, TimePoint now,
                               HandOffSlots& slots) {
  // Read after the commit, outside the writer's lock: each webhook's URL and opened secrets.
  // One that cannot be sent as it stands (its secrets do not open, or it changed meanwhile) is
  // released to the queue, where a claim deals with it.
  const int64_t now_us = to_unix_micros(now);
  std::unordered_map<domain::WebhookId, std::optional<ClaimedDelivery>> senders;
  std::vector<ClaimedDelivery> out;
  out.reserve(handed.size());
  // What is given up is only released once every webhook was read: a read that fails leaves
  // the caller every lease to release.
  std::vector<domain::DeliveryId> released;
  for (ClaimedDelivery& d : handed) {
    auto [it, first] = senders.try_emplace(d.webhook_id);
    if (first) {
      Statement w = c.prepare(kClaimedWebhook);
      w.bind(1, d.webhook_id);
      if (w.step() && w.column_text(0) == "enabled") {
        ClaimedDelivery sender;
        sender.url = w.column_text(1);
        try {
          signing_secrets(c, d.webhook_id, w.column_optional_text(2), w.column_optional_text(3),
                          now_us, sender.hmac_secrets, sender.secret_http);
          it->second = std::move(sender);
        } catch (const SecretUnavailable&) {
        }
      }
    }
    if (!it->second) {
      released.push_back(d.id);
      continue;
    }
    d.url = it->second->url;
    d.hmac_secrets = it->second->hmac_secrets;
    d.secret_http = it->second->secret_http;
    out.push_back(std::move(d));
  }
  for (domain::DeliveryId id : released) leases_.release(id);
  if (!released.empty()) slots.left_pending();
  handed.swap(out);
}

std::vector<ClaimedDelivery> SqliteStore::claim_due(
    std::string_view owner, TimePoint now, TimePoint lease_until, size_t limit,
    size_t per_webhook_cap, const std::map<domain::WebhookId, size_t>& in_flight) {
  (void)owner;  // the leases are this process's own
  if (limit == 0) return {};
  // Leases are held in memory, so a claim only reads: it takes no write lock, and neither waits
  // for an ingestion commit nor holds one up. Claims and the ends of leases take turns (see
  // record_attempts), so that a claim never reads a delivery as pending from before its
  // attempt was recorded and as unleased from after.
  std::lock_guard claiming(claim_mutex_);
  Lease c = acquire();
  ReadTransaction tx(*c);
  const int64_t now_us = to_unix_micros(now);
  leases_.forget_expired(now_us);

  // What the claim knows of each webhook it met: whether it is enabled, how many of its
  // deliveries are in flight (with those this claim took), and its URL and secrets, opened
  // once per claim however many of its deliveries the claim holds.
  struct WebhookFacts {
    bool enabled = false;
    size_t held = 0;
    std::string url;
    std::optional<std::string> stored_hmac, stored_http;
    bool opened = false;
    std::vector<std::string> hmac;
    std::optional<std::string> http;
    std::optional<std::string> error;  // set: the secrets do not open
  };
  std::unordered_map<domain::WebhookId, WebhookFacts> webhooks;
  auto facts_of = [&](domain::WebhookId webhook) -> WebhookFacts& {
    auto [it, first] = webhooks.try_emplace(webhook);
    if (first) {
      Statement w = c->prepare(kClaimedWebhook);
      w.bind(1, webhook);
      if (w.step()) {
        it->second.enabled = w.column_text(0) == "enabled";
        it->second.url = w.column_text(1);
        it->second.stored_hmac = w.column_optional_text(2);
        it->second.stored_http = w.column_optional_text(3);
      }
      const auto busy = in_flight.find(webhook);
      it->second.held = busy == in_flight.end() ? 0 : busy->second;
    }
    return it->second;
  };
  struct Candidate {
    int64_t due;
    int64_t id;
    domain::WebhookId webhook;
  };
  std::vector<Candidate> taken;
  bool walked_all = true;
  {
    const size_t budget = limit + leases_.count(now_us) + kWalkBudget;
    Statement due = c->prepare(kDueInOrder);
    due.bind(1, now_us);
    for (size_t visited = 0; taken.size() < limit && due.step(); ++visited) {
      if (visited == budget) {
        walked_all = false;
        break;
      }
      const int64_t id = due.column_int(0);
      if (leases_.held(id, now_us)) continue;
      const domain::WebhookId webhook = due.column_int(1);
      WebhookFacts& w = facts_of(webhook);
      if (!w.enabled || w.held >= per_webhook_cap) continue;
      ++w.held;
      taken.push_back({due.column_int(2), id, webhook});
    }
  }
  if (!walked_all && taken.size() < limit) {
    // The head of the queue is held by webhooks at their cap: each webhook's oldest instead.
    const auto leased = leases_.count_by_webhook(now_us);
    std::unordered_set<int64_t> already;
    for (const Candidate& t : taken) already.insert(t.id);
    std::vector<Candidate> more;
    for (int64_t webhook = 0;;) {
      {
        Statement next = c->prepare(kNextWebhookWithPending);
        next.bind(1, webhook);
        if (!next.step()) break;
        webhook = next.column_int(0);
      }
      WebhookFacts& w = facts_of(webhook);
      if (!w.enabled || w.held >= per_webhook_cap) continue;
      const auto leased_of = leased.find(webhook);
      const size_t stepped_over = leased_of == leased.end() ? 0 : leased_of->second;
      const size_t room = std::min(per_webhook_cap - w.held, limit - taken.size());
      Statement due = c->prepare(kDueOfWebhook);
      due.bind(1, webhook).bind(2, now_us).bind(3, static_cast<int64_t>(room + stepped_over));
      size_t found = 0;
      while (found < room && due.step()) {
        const int64_t id = due.column_int(0);
        if (already.contains(id) || leases_.held(id, now_us)) continue;
        more.push_back({due.column_int(1), id, webhook});
        ++found;
      }
    }
    // The oldest due first across webhooks, each already within its slots.
    std::sort(more.begin(), more.end(), [](const Candidate& a, const Candidate& b) {
      return std::tie(a.due, a.id) < std::tie(b.due, b.id);
    });
    more.resize(std::min(more.size(), limit - taken.size()));
    taken.insert(taken.end(), more.begin(), more.end());
  }

  std::vector<ClaimedDelivery> out;
  out.reserve(taken.size());
  const int64_t until_us = to_unix_micros(lease_until);
  for (const Candidate& t : taken) {
    WebhookFacts& w = webhooks.at(t.webhook);
    if (!w.opened) {
      w.opened = true;
      try {
        signing_secrets(*c, t.webhook, w.stored_hmac, w.stored_http, now_us, w.hmac, w.http);
      } catch (const SecretUnavailable& e) {
        w.error = e.what();
      }
    }
    // Leased whether or not it can be sent: one whose secret does not open is tried again when
    // the lease ends, never sent unsigned or wrongly signed.
    leases_.hold(t.id, t.webhook, until_us);
    if (w.error) {
      log::error("delivery held: its webhook's secret does not open",
                 {{"delivery_id", t.id}, {"webhook_id", t.webhook}, {"error", *w.error}});
      continue;
    }
    Statement s = c->prepare(kClaimedDetails);
    s.bind(1, t.id);
    if (!s.step()) continue;
    ClaimedDelivery d;
    d.id = t.id;
    d.webhook_id = t.webhook;
    d.attempts_made = static_cast<int>(s.column_int(0));
    d.event.id = s.column_text(1);
    d.event.producer_id = s.column_optional_text(2);
    d.event.organization_id = s.column_int(3);
    d.event.device_id = s.column_int(4);
    d.event.topic = static_cast<domain::Topic>(s.column_int(5));
    d.event.type = s.column_optional_text(6);
    d.event.time = from_unix_micros(s.column_int(7));
    d.event.data_json = s.column_text(8);
    d.created_at = from_unix_micros(s.column_int(9));
    d.url = w.url;
    d.hmac_secrets = w.hmac;
    d.secret_http = w.http;
    out.push_back(std::move(d));
  }
  tx.commit();
  return out;
}

std::optional<TimePoint> SqliteStore::next_due() {
  Lease c = acquire();
  const int64_t now_us = to_unix_micros(clock_.now());
  Statement s = c->prepare(kPendingInOrder);
  while (s.step()) {
    if (leases_.held(s.column_int(0), now_us)) continue;
    return from_unix_micros(s.column_int(1));
  }
  return std::nullopt;
}

void SqliteStore::record_attempts(const std::vector<AttemptRecord>& records, TimePoint now,
                                  std::chrono::milliseconds disable_after) {
  if (records.empty()) return;
  // Each webhook's verdicts, in the order of the records.
  std::vector<domain::WebhookId> webhooks;
  std::unordered_map<domain::WebhookId, std::vector<domain::AttemptVerdict>> verdicts;
  for (const AttemptRecord& r : records) {
    auto [it, added] = verdicts.try_emplace(r.webhook_id);
    if (added) webhooks.push_back(r.webhook_id);
    it->second.push_back(domain::AttemptVerdict{r.new_status == domain::DeliveryStatus::kSucceeded,
                                                r.disable_webhook});
  }
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_, Durability::kMayBeLost);
  const int64_t now_us = to_unix_micros(now);
  // What the batch does to each webhook, judged on its health before the batch.
  std::unordered_map<domain::WebhookId, domain::HealthChange> changes;
  for (domain::WebhookId webhook : webhooks) {
    domain::WebhookHealth health;
    Statement s = c->prepare(kWebhookHealth);
    s.bind(1, webhook);
    if (!s.step()) continue;  // deleted meanwhile
    health.enabled = s.column_int(0) != 0;
    if (auto since = s.column_optional_int(1)) health.failing_since = from_unix_micros(*since);
    domain::HealthChange change =
        domain::health_after(verdicts[webhook], health, now, disable_after);
    if (change.failing_since != health.failing_since) {
      std::optional<int64_t> since_us;
      if (change.failing_since) since_us = to_unix_micros(*change.failing_since);
      c->prepare(kSetFailingSince).bind(1, webhook).bind(2, since_us).run();
    }
    changes.emplace(webhook, std::move(change));
  }
  std::unordered_map<domain::WebhookId, size_t> seen;  // each webhook's attempts so far
  for (const AttemptRecord& r : records) {
    // What a receiver answered is arbitrary bytes; the log keeps it as text, as PostgreSQL must.
    const std::string& body = r.result.response_body;
    const bool valid = is_valid_text(body);
    const std::string replaced = valid ? std::string() : to_valid_text(body);
    c->prepare(kInsertAttempt)
        .bind(1, r.delivery_id)
        .bind(2, int64_t{r.attempt})
        .bind(3, to_unix_micros(r.result.at))
        .bind(4, r.result.duration_ms)
        .bind(5, to_optional(r.result.status_code))
        .bind(6, r.result.error)
        .bind(7, valid ? std::string_view(body) : std::string_view(replaced))
        .run();
    // An attempt after the one that disabled its webhook leaves its delivery skipped, for a
    // later recover, unless it succeeded.
    const size_t index = seen[r.webhook_id]++;
    const auto change = changes.find(r.webhook_id);
    const bool skip = change != changes.end() && change->second.disabled_by &&
                      index > *change->second.disabled_by &&
                      r.new_status != domain::DeliveryStatus::kSucceeded;
    std::optional<int64_t> next;
    if (r.next_attempt_at && !skip) next = to_unix_micros(*r.next_attempt_at);
    c->prepare(kUpdateDelivery)
        .bind(1, r.delivery_id)
        .bind(2, skip ? std::string_view("skipped") : domain::delivery_status_name(r.new_status))
        .bind(3, int64_t{r.attempt})
        .bind(4, next)
        .bind(5, to_optional(r.result.status_code))
        .bind(6, r.result.error)
        .bind(7, now_us)
        .run();
  }
  for (const auto& [webhook, change] : changes) {
    if (!change.disabled_by) continue;
    c->prepare(kDisableWebhook)
        .bind(1, webhook)
        .bind(2, std::string_view(change.disabled_reason))
        .bind(3, now_us)
        .run();
    // On disabling, what was still to be sent is kept as skipped, for a later recover.
    c->prepare(kSkipPendingOfWebhook).bind(1, webhook).bind(2, now_us).run();
  }
  // Recorded: the leases end (until then, a failed write leaves them to run out). Between the
  // commit and the release no claim runs: it would find these deliveries pending in a
  // snapshot from before the commit, and no longer leased.
  std::lock_guard claiming(claim_mutex_);
  tx.commit();
  for (const AttemptRecord& r : records) leases_.release(r.delivery_id);
}

QueueStats SqliteStore::queue_stats() {
  Lease c = acquire();
  Statement s = c->prepare(kQueueStats);
  QueueStats stats;
  if (s.step()) {
    stats.pending = s.column_int(0);
    if (auto oldest = s.column_optional_int(1)) {
      stats.oldest_pending_created_at = from_unix_micros(*oldest);
    }
  }
  return stats;
}

void SqliteStore::release_all_leases() {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_, Durability::kMayBeLost);
  c->exec(kReleaseAllLeases);  // left by a version that wrote them to the table
  tx.commit();
  leases_.clear();
}

}  // namespace hookd::store::sqlite
