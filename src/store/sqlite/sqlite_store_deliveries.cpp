// SqliteStore: ingestion, matching and the delivery queue.
#include <chrono>

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

// ?5 is a JSON array of [webhook id, attempts in flight]. Of the oldest due deliveries (a
// window of ?7, skipping webhooks already at the cap), each webhook gets the slots it has left.
constexpr const char* kClaimDue =
    "WITH busy AS (SELECT json_extract(value, '$[0]') AS webhook_id,"
    "   json_extract(value, '$[1]') AS n FROM json_each(?5)),"
    " due AS (SELECT d.id, d.webhook_id, d.next_attempt_at FROM deliveries d"
    "   JOIN webhooks w ON w.id = d.webhook_id"
    "   WHERE d.status = 'pending' AND d.next_attempt_at <= ?3"
    "   AND (d.lease_until IS NULL OR d.lease_until < ?3) AND w.status = 'enabled'"
    "   AND d.webhook_id NOT IN (SELECT webhook_id FROM busy WHERE n >= ?6)"
    "   ORDER BY d.next_attempt_at LIMIT ?7),"
    " slotted AS (SELECT due.id, due.next_attempt_at, ROW_NUMBER() OVER"
    "   (PARTITION BY due.webhook_id ORDER BY due.next_attempt_at, due.id)"
    "   + COALESCE(busy.n, 0) AS slot FROM due LEFT JOIN busy USING (webhook_id))"
    " UPDATE deliveries SET lease_owner = ?1, lease_until = ?2 WHERE id IN ("
    "   SELECT id FROM slotted WHERE slot <= ?6 ORDER BY next_attempt_at LIMIT ?4)"
    " RETURNING id";
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

std::string json_pairs(const std::map<domain::WebhookId, size_t>& counts) {
  std::string out = "[";
  for (const auto& [id, n] : counts) {
    if (out.size() > 1) out += ',';
    out += "[" + std::to_string(id) + "," + std::to_string(n) + "]";
  }
  return out + "]";
}

}  // namespace

std::vector<IngestOutcome> SqliteStore::ingest(const std::vector<const IngestRequest*>& requests,
                                               TimePoint now) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  const int64_t now_us = to_unix_micros(now);
  const int64_t window_start = to_unix_micros(now - kProducerIdWindow);
  matcher_.refresh(*c);
  std::vector<IngestOutcome> outcomes;
  outcomes.reserve(requests.size());
  std::vector<WebhookMatch> matches;
  for (const IngestRequest* request : requests) {
    IngestOutcome outcome;
    // Every device first: a request with one unknown device stores nothing.
    std::vector<DeviceView> devices;
    devices.reserve(request->events.size());
    for (const domain::Event& e : request->events) {
      auto facts = matcher_.device(e.device_id);
      if (!facts) {
        outcome.ok = false;
        outcome.missing_device = e.device_id;
        break;
      }
      devices.push_back(*facts);
    }
    if (!outcome.ok) {
      outcomes.push_back(std::move(outcome));
      continue;
    }
    for (size_t i = 0; i < request->events.size(); ++i) {
      const domain::Event& e = request->events[i];
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
          .bind(3, devices[i].organization_id)
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
      matcher_.match(e.device_id, devices[i], e.topic, matches);
      for (const WebhookMatch& m : matches) {
        c->prepare(kInsertDelivery)
            .bind(1, m.webhook_id)
            .bind(2, std::string_view(e.id))
            .bind(3, std::string_view(m.enabled ? "pending" : "skipped"))
            .bind(4, m.enabled ? std::optional<int64_t>(now_us) : std::nullopt)
            .bind(5, now_us)
            .run();
      }
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
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  std::vector<int64_t> ids;
  {
    Statement s = c->prepare(kClaimDue);
    s.bind(1, owner)
        .bind(2, to_unix_micros(lease_until))
        .bind(3, to_unix_micros(now))
        .bind(4, static_cast<int64_t>(limit))
        .bind(5, std::string_view(json_pairs(in_flight)))
        .bind(6, static_cast<int64_t>(per_webhook_cap))
        .bind(7, static_cast<int64_t>(limit * 8));
    while (s.step()) ids.push_back(s.column_int(0));
  }
  std::vector<ClaimedDelivery> out;
  out.reserve(ids.size());
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
    d.hmac_secrets.push_back(s.column_text(12));
    d.secret_http = s.column_optional_text(13);
    d.created_at = from_unix_micros(s.column_int(14));
    Statement older = c->prepare(kSecretsInGrace);
    older.bind(1, d.webhook_id).bind(2, to_unix_micros(now));
    while (older.step()) d.hmac_secrets.push_back(older.column_text(0));
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
  WriteTransaction tx(*c, write_mutex_);
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
  WriteTransaction tx(*c, write_mutex_);
  c->exec(kReleaseAllLeases);
  tx.commit();
}

}  // namespace hookd::store::sqlite
