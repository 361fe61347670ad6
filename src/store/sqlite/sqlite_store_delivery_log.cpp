// SqliteStore: the delivery log, and deliveries sent again by hand.
#include "store/sqlite/connection.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace hookd::store::sqlite {
namespace {

#define DELIVERY_SUMMARY_COLUMNS                                             \
  "d.id, d.event_id, e.topic, d.status, d.attempt_count, d.next_attempt_at," \
  " d.last_status_code, d.last_error, d.created_at"

// A webhook's page of deliveries, newest first, through deliveries_by_webhook_status alone:
// each status's newest size + offset ids (the index covers them), merged, the page taken, and
// only its rows read. No index on (webhook_id, id) has to be written by every ingestion.
#define NEWEST_OF_STATUS(status)                                                           \
  " SELECT id FROM (SELECT id FROM deliveries WHERE webhook_id = ?1 AND status = '" status \
  "' ORDER BY id DESC LIMIT ?2 + ?3)"
constexpr const char* kListDeliveries =
    "SELECT " DELIVERY_SUMMARY_COLUMNS
    " FROM deliveries d JOIN events e ON e.id = d.event_id"
    " WHERE d.id IN (SELECT id FROM (" NEWEST_OF_STATUS("pending") " UNION ALL"
    NEWEST_OF_STATUS("succeeded") " UNION ALL" NEWEST_OF_STATUS("failed") " UNION ALL"
    NEWEST_OF_STATUS("skipped") ") ORDER BY id DESC LIMIT ?2 OFFSET ?3)"
    " ORDER BY d.id DESC";
#undef NEWEST_OF_STATUS
constexpr const char* kListDeliveriesWithStatus =
    "SELECT " DELIVERY_SUMMARY_COLUMNS
    " FROM deliveries d JOIN events e ON e.id = d.event_id"
    " WHERE d.webhook_id = ?1 AND d.status = ?4 ORDER BY d.id DESC LIMIT ?2 OFFSET ?3";
constexpr const char* kFindDelivery =
    "SELECT " DELIVERY_SUMMARY_COLUMNS
    ", e.producer_id, e.organization_id, e.device_id, e.type, e.time, e.data"
    " FROM deliveries d JOIN events e ON e.id = d.event_id"
    " WHERE d.webhook_id = ?1 AND d.id = ?2";
constexpr const char* kAttemptsOfDelivery =
    "SELECT attempt, at, duration_ms, status_code, error, response_body FROM attempts"
    " WHERE delivery_id = ?1 ORDER BY attempt, id";
constexpr const char* kRetryDelivery =
    "UPDATE deliveries SET status = 'pending', next_attempt_at = ?3, updated_at = ?3"
    " WHERE webhook_id = ?1 AND id = ?2";
constexpr const char* kRecoverDeliveries =
    "UPDATE deliveries SET status = 'pending', next_attempt_at = ?3, updated_at = ?3"
    " WHERE webhook_id = ?1 AND status IN ('failed', 'skipped') AND created_at >= ?2";

constexpr const char* kWebhookOrganization = "SELECT organization_id FROM webhooks WHERE id = ?1";
constexpr const char* kCurrentSecret = "SELECT secret_hmac FROM webhooks WHERE id = ?1";
constexpr const char* kKeepOldSecret =
    "INSERT INTO webhook_secrets (webhook_id, secret, expires_at) VALUES (?1, ?2, ?3)";
constexpr const char* kForgetExpiredSecrets =
    "DELETE FROM webhook_secrets WHERE webhook_id = ?1 AND expires_at <= ?2";
constexpr const char* kSetSecret =
    "UPDATE webhooks SET secret_hmac = ?2, modified_at = ?3 WHERE id = ?1";
constexpr const char* kInsertTestEvent =
    "INSERT INTO events (id, producer_id, organization_id, device_id, topic, type, time, data,"
    " created_at) VALUES (?1, NULL, ?2, 0, ?3, ?4, ?5, ?6, ?7)";
constexpr const char* kInsertTestDelivery =
    "INSERT INTO deliveries (webhook_id, event_id, status, next_attempt_at, created_at,"
    " updated_at) VALUES (?1, ?2, 'pending', ?3, ?3, ?3)";

constexpr const char* kPurgeDeliveries =
    "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries"
    " WHERE created_at < ?1 AND status != 'pending' ORDER BY id LIMIT ?2)";
constexpr const char* kPurgeEvents =
    "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.created_at < ?1"
    " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id) LIMIT ?2)";
constexpr const char* kPurgeProducerIds =
    "DELETE FROM producer_ids WHERE producer_id IN (SELECT producer_id FROM producer_ids"
    " WHERE created_at < ?1 LIMIT ?2)";

DeliverySummary read_summary(const Statement& s) {
  DeliverySummary d;
  d.id = s.column_int(0);
  d.event_id = s.column_text(1);
  d.topic = static_cast<domain::Topic>(s.column_int(2));
  d.status =
      domain::parse_delivery_status(s.column_text(3)).value_or(domain::DeliveryStatus::kPending);
  d.attempt_count = static_cast<int>(s.column_int(4));
  if (auto next = s.column_optional_int(5)) d.next_attempt_at = from_unix_micros(*next);
  if (auto code = s.column_optional_int(6)) d.last_status_code = static_cast<int>(*code);
  d.last_error = s.column_optional_text(7);
  d.created_at = from_unix_micros(s.column_int(8));
  return d;
}

}  // namespace

std::vector<DeliverySummary> SqliteStore::list_deliveries(const DeliveryQuery& query) {
  Lease c = acquire();
  Statement s = c->prepare(query.status ? kListDeliveriesWithStatus : kListDeliveries);
  s.bind(1, query.webhook_id).bind(2, query.size).bind(3, query.offset);
  if (query.status) s.bind(4, domain::delivery_status_name(*query.status));
  std::vector<DeliverySummary> out;
  while (s.step()) out.push_back(read_summary(s));
  return out;
}

std::optional<DeliveryDetail> SqliteStore::find_delivery(domain::WebhookId webhook,
                                                         domain::DeliveryId id) {
  Lease c = acquire();
  DeliveryDetail detail;
  {
    Statement s = c->prepare(kFindDelivery);
    s.bind(1, webhook).bind(2, id);
    if (!s.step()) return std::nullopt;
    detail.summary = read_summary(s);
    domain::Event& e = detail.event;
    e.id = detail.summary.event_id;
    e.topic = detail.summary.topic;
    e.producer_id = s.column_optional_text(9);
    e.organization_id = s.column_int(10);
    e.device_id = s.column_int(11);
    e.type = s.column_optional_text(12);
    e.time = from_unix_micros(s.column_int(13));
    e.data_json = s.column_text(14);
  }
  Statement s = c->prepare(kAttemptsOfDelivery);
  s.bind(1, id);
  while (s.step()) {
    Attempt a;
    a.number = static_cast<int>(s.column_int(0));
    a.result.at = from_unix_micros(s.column_int(1));
    a.result.duration_ms = s.column_int(2);
    if (auto code = s.column_optional_int(3)) a.result.status_code = static_cast<int>(*code);
    a.result.error = s.column_optional_text(4);
    a.result.response_body = s.column_text(5);
    detail.attempts.push_back(std::move(a));
  }
  return detail;
}

bool SqliteStore::retry_delivery(domain::WebhookId webhook, domain::DeliveryId id, TimePoint now) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  c->prepare(kRetryDelivery).bind(1, webhook).bind(2, id).bind(3, to_unix_micros(now)).run();
  const bool changed = c->changes() > 0;
  tx.commit();
  if (changed) leases_.release(id);  // due now, even while an earlier attempt is on the wire
  return changed;
}

int64_t SqliteStore::recover_deliveries(domain::WebhookId webhook, TimePoint since, TimePoint now) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  c->prepare(kRecoverDeliveries)
      .bind(1, webhook)
      .bind(2, to_unix_micros(since))
      .bind(3, to_unix_micros(now))
      .run();
  const int64_t count = c->changes();
  tx.commit();
  return count;
}

PurgeResult SqliteStore::purge(TimePoint cutoff, TimePoint producer_id_cutoff, size_t limit) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_, Durability::kMayBeLost);  // lost: purged again
  PurgeResult result;
  const auto n = static_cast<int64_t>(limit);
  c->prepare(kPurgeDeliveries).bind(1, to_unix_micros(cutoff)).bind(2, n).run();
  result.deliveries = c->changes();
  c->prepare(kPurgeEvents).bind(1, to_unix_micros(cutoff)).bind(2, n).run();
  result.events = c->changes();
  c->prepare(kPurgeProducerIds).bind(1, to_unix_micros(producer_id_cutoff)).bind(2, n).run();
  result.producer_ids = c->changes();
  tx.commit();
  return result;
}

bool SqliteStore::rotate_secret(domain::WebhookId webhook, const std::string& new_secret,
                                TimePoint old_valid_until, TimePoint now) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  std::string old_secret;
  {
    Statement s = c->prepare(kCurrentSecret);
    s.bind(1, webhook);
    if (!s.step()) return false;
    old_secret = s.column_text(0);
  }
  c->prepare(kForgetExpiredSecrets).bind(1, webhook).bind(2, to_unix_micros(now)).run();
  if (old_valid_until > now) {
    c->prepare(kKeepOldSecret)
        .bind(1, webhook)
        .bind(2, std::string_view(old_secret))
        .bind(3, to_unix_micros(old_valid_until))
        .run();
  }
  // The sealed text moves as it is: current and rotated-out secrets share one binding.
  c->prepare(kSetSecret)
      .bind(1, webhook)
      .bind(2, std::string_view(
                   seal_secret(webhook, SecretField::kHmac, std::string_view(new_secret))))
      .bind(3, to_unix_micros(now))
      .run();
  tx.commit();
  return true;
}

bool SqliteStore::queue_test_event(domain::WebhookId webhook, const domain::Event& event,
                                   TimePoint now) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  int64_t organization = 0;
  {
    Statement s = c->prepare(kWebhookOrganization);
    s.bind(1, webhook);
    if (!s.step()) return false;
    organization = s.column_int(0);
  }
  const int64_t now_us = to_unix_micros(now);
  c->prepare(kInsertTestEvent)
      .bind(1, std::string_view(event.id))
      .bind(2, organization)
      .bind(3, int64_t{static_cast<uint8_t>(event.topic)})
      .bind(4, event.type)
      .bind(5, to_unix_micros(event.time))
      .bind(6, std::string_view(event.data_json))
      .bind(7, now_us)
      .run();
  c->prepare(kInsertTestDelivery)
      .bind(1, webhook)
      .bind(2, std::string_view(event.id))
      .bind(3, now_us)
      .run();
  tx.commit();
  return true;
}

}  // namespace hookd::store::sqlite
