// PostgresStore: the delivery log, retention, and deliveries sent again by hand.
#include "store/postgres/connection.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/postgres/work_listener.hpp"

namespace hookd::store::postgres {
namespace {

#define DELIVERY_SUMMARY_COLUMNS                                             \
  "d.id, d.event_id, e.topic, d.status, d.attempt_count, d.next_attempt_at," \
  " d.last_status_code, d.last_error, d.created_at"

// A webhook's page of deliveries, newest first, through deliveries_by_webhook_status alone:
// each status's newest size + offset ids (the index covers them), merged, the page taken, and
// only its rows read. No index on (webhook_id, id) has to be written by every ingestion and
// every recorded attempt.
#define NEWEST_OF_STATUS(status)                                            \
  " (SELECT id FROM deliveries WHERE webhook_id = $1 AND status = '" status \
  "' ORDER BY id DESC LIMIT $2::bigint + $3::bigint)"
constexpr const char* kListDeliveries =
    "SELECT " DELIVERY_SUMMARY_COLUMNS
    " FROM deliveries d JOIN events e ON e.id = d.event_id"
    " WHERE d.id IN (SELECT id FROM (" NEWEST_OF_STATUS("pending") " UNION ALL"
    NEWEST_OF_STATUS("succeeded") " UNION ALL" NEWEST_OF_STATUS("failed") " UNION ALL"
    NEWEST_OF_STATUS("skipped") ") AS newest ORDER BY id DESC LIMIT $2 OFFSET $3)"
    " ORDER BY d.id DESC";
#undef NEWEST_OF_STATUS
constexpr const char* kListDeliveriesWithStatus =
    "SELECT " DELIVERY_SUMMARY_COLUMNS
    " FROM deliveries d JOIN events e ON e.id = d.event_id"
    " WHERE d.webhook_id = $1 AND d.status = $4 ORDER BY d.id DESC LIMIT $2 OFFSET $3";
constexpr const char* kFindDelivery =
    "SELECT " DELIVERY_SUMMARY_COLUMNS
    ", e.producer_id, e.organization_id, e.device_id, e.type, e.time, e.data"
    " FROM deliveries d JOIN events e ON e.id = d.event_id"
    " WHERE d.webhook_id = $1 AND d.id = $2";
constexpr const char* kAttemptsOfDelivery =
    "SELECT attempt, at, duration_ms, status_code, error, response_body FROM attempts"
    " WHERE delivery_id = $1 ORDER BY attempt, id";
constexpr const char* kRetryDelivery =
    "UPDATE deliveries SET status = 'pending', next_attempt_at = $3, lease_owner = NULL,"
    " lease_until = NULL, updated_at = $3 WHERE webhook_id = $1 AND id = $2";
constexpr const char* kRecoverDeliveries =
    "UPDATE deliveries SET status = 'pending', next_attempt_at = $3, updated_at = $3"
    " WHERE webhook_id = $1 AND status IN ('failed', 'skipped') AND created_at >= $2";

constexpr const char* kWebhookOrganization = "SELECT organization_id FROM webhooks WHERE id = $1";
// Locks the webhook so that two rotations at once keep both replaced secrets in grace.
constexpr const char* kLockCurrentSecret =
    "SELECT secret_hmac FROM webhooks WHERE id = $1 FOR UPDATE";
constexpr const char* kKeepOldSecret =
    "INSERT INTO webhook_secrets (webhook_id, secret, expires_at) VALUES ($1, $2, $3)";
constexpr const char* kForgetExpiredSecrets =
    "DELETE FROM webhook_secrets WHERE webhook_id = $1 AND expires_at <= $2";
constexpr const char* kSetSecret =
    "UPDATE webhooks SET secret_hmac = $2, modified_at = $3 WHERE id = $1";
constexpr const char* kInsertTestEvent =
    "INSERT INTO events (id, producer_id, organization_id, device_id, topic, type, time, data,"
    " created_at) VALUES ($1, NULL, $2, 0, $3, $4, $5, $6, $7)";
constexpr const char* kInsertTestDelivery =
    "INSERT INTO deliveries (webhook_id, event_id, status, next_attempt_at, created_at,"
    " updated_at) VALUES ($1, $2, 'pending', $3, $3, $3)";

// PostgreSQL's DELETE has no LIMIT: each batch is chosen by a subquery.
constexpr const char* kPurgeDeliveries =
    "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries"
    " WHERE created_at < $1 AND status <> 'pending' ORDER BY id LIMIT $2)";
constexpr const char* kPurgeEvents =
    "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.created_at < $1"
    " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id) LIMIT $2)";
constexpr const char* kPurgeProducerIds =
    "DELETE FROM producer_ids WHERE producer_id IN (SELECT producer_id FROM producer_ids"
    " WHERE created_at < $1 LIMIT $2)";

DeliverySummary read_summary(const Result& r, int row) {
  DeliverySummary d;
  d.id = r.get_int(row, 0);
  d.event_id = r.get_text(row, 1);
  d.topic = static_cast<domain::Topic>(r.get_int(row, 2));
  d.status =
      domain::parse_delivery_status(r.get_text(row, 3)).value_or(domain::DeliveryStatus::kPending);
  d.attempt_count = static_cast<int>(r.get_int(row, 4));
  if (auto next = r.get_optional_int(row, 5)) d.next_attempt_at = from_unix_micros(*next);
  if (auto code = r.get_optional_int(row, 6)) d.last_status_code = static_cast<int>(*code);
  d.last_error = r.get_optional_text(row, 7);
  d.created_at = from_unix_micros(r.get_int(row, 8));
  return d;
}

}  // namespace

std::vector<DeliverySummary> PostgresStore::list_deliveries(const DeliveryQuery& query) {
  auto c = pool_.acquire();
  Params p;
  p.add(query.webhook_id).add(query.size).add(query.offset);
  if (query.status) p.add(domain::delivery_status_name(*query.status));
  Result r = c->exec(query.status ? kListDeliveriesWithStatus : kListDeliveries, p);
  std::vector<DeliverySummary> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_summary(r, i));
  return out;
}

std::optional<DeliveryDetail> PostgresStore::find_delivery(domain::WebhookId webhook,
                                                           domain::DeliveryId id) {
  auto c = pool_.acquire();
  DeliveryDetail detail;
  {
    Result r = c->exec(kFindDelivery, Params().add(webhook).add(id));
    if (r.rows() == 0) return std::nullopt;
    detail.summary = read_summary(r, 0);
    domain::Event& e = detail.event;
    e.id = detail.summary.event_id;
    e.topic = detail.summary.topic;
    e.producer_id = r.get_optional_text(0, 9);
    e.organization_id = r.get_int(0, 10);
    e.device_id = r.get_int(0, 11);
    e.type = r.get_optional_text(0, 12);
    e.time = from_unix_micros(r.get_int(0, 13));
    e.data_json = r.get_text(0, 14);
  }
  Result r = c->exec(kAttemptsOfDelivery, Params().add(id));
  for (int i = 0; i < r.rows(); ++i) {
    Attempt a;
    a.number = static_cast<int>(r.get_int(i, 0));
    a.result.at = from_unix_micros(r.get_int(i, 1));
    a.result.duration_ms = r.get_int(i, 2);
    if (auto code = r.get_optional_int(i, 3)) a.result.status_code = static_cast<int>(*code);
    a.result.error = r.get_optional_text(i, 4);
    a.result.response_body = r.get_text(i, 5);
    detail.attempts.push_back(std::move(a));
  }
  return detail;
}

bool PostgresStore::retry_delivery(domain::WebhookId webhook, domain::DeliveryId id,
                                   TimePoint now) {
  auto c = pool_.acquire();
  const bool found =
      c->exec(kRetryDelivery, Params().add(webhook).add(id).add(to_unix_micros(now))).affected() >
      0;
  if (found) c->exec_script(kNotifyNewWork);
  return found;
}

int64_t PostgresStore::recover_deliveries(domain::WebhookId webhook, TimePoint since,
                                          TimePoint now) {
  auto c = pool_.acquire();
  const int64_t n =
      c->exec(kRecoverDeliveries,
              Params().add(webhook).add(to_unix_micros(since)).add(to_unix_micros(now)))
          .affected();
  if (n > 0) c->exec_script(kNotifyNewWork);
  return n;
}

PurgeResult PostgresStore::purge(TimePoint cutoff, TimePoint producer_id_cutoff, size_t limit) {
  auto c = pool_.acquire();
  Transaction tx(*c);
  PurgeResult result;
  const auto n = static_cast<int64_t>(limit);
  const int64_t cutoff_us = to_unix_micros(cutoff);
  result.deliveries = c->exec(kPurgeDeliveries, Params().add(cutoff_us).add(n)).affected();
  result.events = c->exec(kPurgeEvents, Params().add(cutoff_us).add(n)).affected();
  result.producer_ids =
      c->exec(kPurgeProducerIds, Params().add(to_unix_micros(producer_id_cutoff)).add(n))
          .affected();
  tx.commit();
  return result;
}

bool PostgresStore::rotate_secret(domain::WebhookId webhook, const std::string& new_secret,
                                  TimePoint old_valid_until, TimePoint now) {
  auto c = pool_.acquire();
  Transaction tx(*c);
  std::string old_secret;
  {
    Result r = c->exec(kLockCurrentSecret, Params().add(webhook));
    if (r.rows() == 0) return false;
    old_secret = r.get_text(0, 0);
  }
  const int64_t now_us = to_unix_micros(now);
  c->exec(kForgetExpiredSecrets, Params().add(webhook).add(now_us));
  if (old_valid_until > now) {
    c->exec(kKeepOldSecret,
            Params().add(webhook).add(old_secret).add(to_unix_micros(old_valid_until)));
  }
  // The sealed text moves as it is: current and rotated-out secrets share one binding.
  c->exec(kSetSecret,
          Params()
              .add(webhook)
              .add(seal_secret(webhook, SecretField::kHmac, std::string_view(new_secret)))
              .add(now_us));
  tx.commit();
  return true;
}

bool PostgresStore::queue_test_event(domain::WebhookId webhook, const domain::Event& event,
                                     TimePoint now) {
  auto c = pool_.acquire();
  Transaction tx(*c);
  Result org = c->exec(kWebhookOrganization, Params().add(webhook));
  if (org.rows() == 0) return false;
  const int64_t now_us = to_unix_micros(now);
  c->exec(kInsertTestEvent, Params()
                                .add(event.id)
                                .add(org.get_int(0, 0))
                                .add(int64_t{static_cast<uint8_t>(event.topic)})
                                .add(event.type)
                                .add(to_unix_micros(event.time))
                                .add(event.data_json)
                                .add(now_us));
  c->exec(kInsertTestDelivery, Params().add(webhook).add(event.id).add(now_us));
  c->exec_script(kNotifyNewWork);
  tx.commit();
  return true;
}

}  // namespace hookd::store::postgres
