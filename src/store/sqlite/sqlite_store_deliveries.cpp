// SqliteStore: ingestion, matching and the delivery queue.
#include <algorithm>
#include <chrono>
#include <tuple>
#include <unordered_map>

#include "common/log.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/valid_text.hpp"

namespace hookd::store::sqlite {
namespace {

constexpr auto kProducerIdWindow = std::chrono::hours(24);

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

// A claim walks the webhooks that have pending deliveries, one index seek each (a skip scan of
// deliveries_pending_by_webhook), and takes from each webhook with free slots its oldest due
// deliveries: its cost grows with the webhooks and the slots, not with the backlog behind a
// webhook at its cap. INDEXED BY: the other indexes on webhook_id would walk finished rows.
constexpr const char* kNextWebhookWithPending =
    "SELECT webhook_id FROM deliveries INDEXED BY deliveries_pending_by_webhook"
    " WHERE status = 'pending' AND webhook_id > ?1 ORDER BY webhook_id LIMIT 1";
constexpr const char* kDueOfWebhook =
    "SELECT d.id, d.next_attempt_at FROM deliveries d INDEXED BY deliveries_pending_by_webhook"
    " JOIN webhooks w ON w.id = d.webhook_id"
    " WHERE d.webhook_id = ?1 AND d.status = 'pending' AND d.next_attempt_at <= ?2"
    " AND (d.lease_until IS NULL OR d.lease_until < ?2) AND w.status = 'enabled'"
    " ORDER BY d.next_attempt_at LIMIT ?3";
constexpr const char* kLeaseDelivery =
    "UPDATE deliveries SET lease_owner = ?2, lease_until = ?3 WHERE id = ?1";
constexpr const char* kClaimedDetails =
    "SELECT d.id, d.webhook_id, d.attempt_count, e.id, e.producer_id, e.organization_id,"
    " e.device_id, e.topic, e.type, e.time, e.data, w.url, w.secret_hmac, w.secret_http,"
    " d.created_at"
    " FROM deliveries d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id"
    " WHERE d.id = ?1";
constexpr const char* kSecretsInGrace =
    "SELECT secret FROM webhook_secrets WHERE webhook_id = ?1 AND expires_at > ?2"
    " ORDER BY expires_at DESC";
constexpr const char* kQueueStats =
    "SELECT count(*), MIN(created_at) FROM deliveries WHERE status = 'pending'";
constexpr const char* kNextDue =
    "SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending'"
    " AND (lease_until IS NULL OR lease_until < ?1)";
constexpr const char* kInsertAttempt =
    "INSERT INTO attempts (delivery_id, attempt, at, duration_ms, status_code, error,"
    " response_body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
// A delivery skipped while its attempt was on the wire (its webhook was disabled) stays
// skipped unless that attempt succeeded.
constexpr const char* kUpdateDelivery =
    "UPDATE deliveries SET"
    " status = CASE WHEN status = 'skipped' AND ?2 != 'succeeded' THEN 'skipped' ELSE ?2 END,"
    " next_attempt_at = CASE WHEN status = 'skipped' AND ?2 != 'succeeded' THEN NULL ELSE ?4 END,"
    " attempt_count = ?3, last_status_code = ?5, last_error = ?6, lease_owner = NULL,"
    " lease_until = NULL, updated_at = ?7 WHERE id = ?1";
constexpr const char* kDisableWebhook =
    "UPDATE webhooks SET status = 'disabled', disabled_reason = ?2, modified_at = ?3"
    " WHERE id = ?1 AND status = 'enabled'";
constexpr const char* kWebhookSucceeded =
    "UPDATE webhooks SET failing_since = NULL WHERE id = ?1 AND failing_since IS NOT NULL";
constexpr const char* kWebhookFailed =
    "UPDATE webhooks SET failing_since = ?2 WHERE id = ?1 AND failing_since IS NULL";
constexpr const char* kDisableFailingWebhook =
    "UPDATE webhooks SET status = 'disabled', modified_at = ?2, disabled_reason ="
    " 'Every delivery failed from ' || strftime('%Y-%m-%dT%H:%M:%SZ', failing_since / 1000000,"
    " 'unixepoch') || ' until ' || ?3"
    " WHERE id = ?1 AND status = 'enabled' AND failing_since <= ?4";
constexpr const char* kSkipPendingOfWebhook =
    "UPDATE deliveries SET status = 'skipped', next_attempt_at = NULL, lease_owner = NULL,"
    " lease_until = NULL, updated_at = ?2 WHERE webhook_id = ?1 AND status = 'pending'";
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

std::vector<IngestOutcome> SqliteStore::ingest(const std::vector<const IngestRequest*>& requests,
                                               TimePoint now, size_t max_deliveries) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  const int64_t now_us = to_unix_micros(now);
  const int64_t window_start = to_unix_micros(now - kProducerIdWindow);
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
      }
      written += matches.size();
      outcome.events.push_back(IngestedEvent{e.id, static_cast<int64_t>(matches.size()), false});
    }
    outcomes.push_back(std::move(outcome));
  }
  tx.commit();
  return outcomes;
}

std::vector<ClaimedDelivery> SqliteStore::claim_due(
    std::string_view owner, TimePoint now, TimePoint lease_until, size_t limit,
    size_t per_webhook_cap, const std::map<domain::WebhookId, size_t>& in_flight) {
  if (limit == 0) return {};
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_, Durability::kMayBeLost);
  const int64_t now_us = to_unix_micros(now);
  struct Candidate {
    int64_t due;
    int64_t id;
  };
  std::vector<Candidate> candidates;
  for (int64_t webhook = 0;;) {
    {
      Statement next = c->prepare(kNextWebhookWithPending);
      next.bind(1, webhook);
      if (!next.step()) break;
      webhook = next.column_int(0);
    }
    const auto busy = in_flight.find(webhook);
    const size_t held = busy == in_flight.end() ? 0 : busy->second;
    if (held >= per_webhook_cap) continue;
    Statement due = c->prepare(kDueOfWebhook);
    due.bind(1, webhook)
        .bind(2, now_us)
        .bind(3, static_cast<int64_t>(std::min(per_webhook_cap - held, limit)));
    while (due.step()) candidates.push_back({due.column_int(1), due.column_int(0)});
  }
  // The oldest due first across webhooks, each already within its slots.
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return std::tie(a.due, a.id) < std::tie(b.due, b.id);
  });
  if (candidates.size() > limit) candidates.resize(limit);
  std::vector<int64_t> ids;
  ids.reserve(candidates.size());
  for (const Candidate& candidate : candidates) {
    c->prepare(kLeaseDelivery)
        .bind(1, candidate.id)
        .bind(2, owner)
        .bind(3, to_unix_micros(lease_until))
        .run();
    ids.push_back(candidate.id);
  }
  std::vector<ClaimedDelivery> out;
  out.reserve(ids.size());
  struct OpenedSecrets {
    std::vector<std::string> hmac;
    std::optional<std::string> http;
    std::optional<std::string> error;  // set: they do not open
  };
  std::unordered_map<int64_t, OpenedSecrets> opened;
  for (int64_t id : ids) {
    Statement s = c->prepare(kClaimedDetails);
    s.bind(1, id);
    if (!s.step()) continue;
    ClaimedDelivery d;
    d.id = s.column_int(0);
    d.webhook_id = s.column_int(1);
    d.attempts_made = static_cast<int>(s.column_int(2));
    d.event.id = s.column_text(3);
    d.event.producer_id = s.column_optional_text(4);
    d.event.organization_id = s.column_int(5);
    d.event.device_id = s.column_int(6);
    d.event.topic = static_cast<domain::Topic>(s.column_int(7));
    d.event.type = s.column_optional_text(8);
    d.event.time = from_unix_micros(s.column_int(9));
    d.event.data_json = s.column_text(10);
    d.url = s.column_text(11);
    d.created_at = from_unix_micros(s.column_int(14));
    // A webhook's secrets are opened (and its grace secrets read) once per claim, however
    // many of its deliveries the claim holds.
    auto [secrets, first_of_webhook] = opened.try_emplace(d.webhook_id);
    if (first_of_webhook) {
      OpenedSecrets& o = secrets->second;
      try {
        o.hmac.push_back(
            open_secret(d.webhook_id, SecretField::kHmac, std::string_view(s.column_text(12))));
        o.http = open_secret(d.webhook_id, SecretField::kHttp, s.column_optional_text(13));
        Statement older = c->prepare(kSecretsInGrace);
        older.bind(1, d.webhook_id).bind(2, to_unix_micros(now));
        while (older.step()) {
          o.hmac.push_back(open_secret(d.webhook_id, SecretField::kHmacInGrace,
                                       std::string_view(older.column_text(0))));
        }
      } catch (const SecretUnavailable& e) {
        o.error = e.what();
      }
    }
    const OpenedSecrets& o = secrets->second;
    if (o.error) {
      // Never sent unsigned or wrongly signed: it stays leased, and is tried when that ends.
      log::error("delivery held: its webhook's secret does not open",
                 {{"delivery_id", d.id}, {"webhook_id", d.webhook_id}, {"error", *o.error}});
      continue;
    }
    d.hmac_secrets = o.hmac;
    d.secret_http = o.http;
    out.push_back(std::move(d));
  }
  tx.commit();
  return out;
}

std::optional<TimePoint> SqliteStore::next_due() {
  Lease c = acquire();
  Statement s = c->prepare(kNextDue);
  s.bind(1, to_unix_micros(clock_.now()));
  if (!s.step()) return std::nullopt;
  auto v = s.column_optional_int(0);
  if (!v) return std::nullopt;
  return from_unix_micros(*v);
}

void SqliteStore::record_attempts(const std::vector<AttemptRecord>& records, TimePoint now,
                                  std::chrono::milliseconds disable_after) {
  if (records.empty()) return;
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_, Durability::kMayBeLost);
  const int64_t now_us = to_unix_micros(now);
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
    std::optional<int64_t> next;
    if (r.next_attempt_at) next = to_unix_micros(*r.next_attempt_at);
    c->prepare(kUpdateDelivery)
        .bind(1, r.delivery_id)
        .bind(2, domain::delivery_status_name(r.new_status))
        .bind(3, int64_t{r.attempt})
        .bind(4, next)
        .bind(5, to_optional(r.result.status_code))
        .bind(6, r.result.error)
        .bind(7, now_us)
        .run();
    bool disabled = false;
    if (r.new_status == domain::DeliveryStatus::kSucceeded) {
      c->prepare(kWebhookSucceeded).bind(1, r.webhook_id).run();
    } else {
      c->prepare(kWebhookFailed).bind(1, r.webhook_id).bind(2, now_us).run();
      c->prepare(kDisableFailingWebhook)
          .bind(1, r.webhook_id)
          .bind(2, now_us)
          .bind(3, std::string_view(format_rfc3339(now)))
          .bind(4, to_unix_micros(now - disable_after))
          .run();
      disabled = c->changes() > 0;
    }
    if (r.disable_webhook) {
      c->prepare(kDisableWebhook)
          .bind(1, r.webhook_id)
          .bind(2, std::string_view("The receiver answered 410 Gone at " + format_rfc3339(now)))
          .bind(3, now_us)
          .run();
      disabled = disabled || c->changes() > 0;
    }
    // On disabling, what was still to be sent is kept as skipped, for a later recover.
    if (disabled) c->prepare(kSkipPendingOfWebhook).bind(1, r.webhook_id).bind(2, now_us).run();
  }
  tx.commit();
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
  c->exec(kReleaseAllLeases);
  tx.commit();
}

}  // namespace hookd::store::sqlite
