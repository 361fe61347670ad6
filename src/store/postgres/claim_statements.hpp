#pragma once

// The claim's statements (the head of the due queue; each webhook's oldest, when the head is
// held by webhooks at their cap) and how the head's transaction runs: shared by the store and
// by the test that checks the head's plan.
#include <array>
#include <cstddef>
#include <cstdint>

namespace hookd::store::postgres {

// Two string literals as one, at compile time: statements that end alike share the ending.
template <size_t A, size_t B>
constexpr std::array<char, A + B - 1> join(const char (&a)[A], const char (&b)[B]) {
  std::array<char, A + B - 1> out{};
  for (size_t i = 0; i + 1 < A; ++i) out[i] = a[i];
  for (size_t i = 0; i < B; ++i) out[A - 1 + i] = b[i];
  return out;
}

// How both claims end: the chosen rows ($1 the owner, $2 the lease's end) leased, and returned
// with their events and webhooks, oldest first.
inline constexpr char kLeaseChosen[] =
    " claimed AS (UPDATE deliveries d SET lease_owner = $1, lease_until = $2::bigint"
    "   FROM chosen WHERE d.id = chosen.id"
    "   RETURNING d.id, d.webhook_id, d.attempt_count, d.event_id, d.next_attempt_at,"
    "   d.created_at)"
    " SELECT c.id, c.webhook_id, c.attempt_count, e.id, e.producer_id, e.organization_id,"
    " e.device_id, e.topic, e.type, e.time, e.data, w.url, w.secret_hmac, w.secret_http,"
    " c.created_at"
    " FROM claimed c JOIN events e ON e.id = c.event_id JOIN webhooks w ON w.id = c.webhook_id"
    " ORDER BY c.next_attempt_at, c.id";

// The claim of the common case, in two statements of one transaction. First the head of the
// due queue, oldest first, at most $2 rows, locked (SKIP LOCKED passes over rows another
// process is claiming right now, so two workers take different heads). Its cost grows with the
// deliveries it takes, not with the webhooks nor the backlog.
inline constexpr const char* kLockHead =
    "SELECT id, webhook_id, next_attempt_at FROM deliveries"
    " WHERE status = 'pending' AND next_attempt_at <= $1::bigint"
    " AND (lease_until IS NULL OR lease_until < $1::bigint)"
    " ORDER BY next_attempt_at, id LIMIT $2::bigint FOR UPDATE SKIP LOCKED";
// Then the leases: of the head ($3, $4, $5: ids, webhooks, due times), per webhook no more
// than its free slots ($8 less what $6 and $7 say the caller holds), the oldest $9. When the
// head holds no more than the rows of webhooks at their cap (a hung receiver's backlog), it
// takes fewer than it could; kClaimDue then visits each webhook instead.
inline constexpr auto kLeaseHeadText = join(
    "WITH head AS (SELECT * FROM unnest($3::bigint[], $4::bigint[], $5::bigint[])"
    "   AS h(id, webhook_id, next_attempt_at)),"
    " busy AS (SELECT * FROM unnest($6::bigint[], $7::bigint[]) AS b(webhook_id, n)),"
    " ranked AS (SELECT h.id, h.next_attempt_at, $8::bigint - COALESCE(busy.n, 0) AS room,"
    "   row_number() OVER (PARTITION BY h.webhook_id ORDER BY h.next_attempt_at, h.id) AS k"
    "   FROM head h JOIN webhooks w ON w.id = h.webhook_id LEFT JOIN busy USING (webhook_id)"
    "   WHERE w.status = 'enabled'),"
    " chosen AS (SELECT id FROM ranked WHERE k <= room ORDER BY next_attempt_at, id"
    "   LIMIT $9::bigint),",
    kLeaseChosen);
inline constexpr const char* kLeaseHead = kLeaseHeadText.data();

// $5 and $6 are the webhooks the caller has attempts in flight for and how many. The claim
// walks the webhooks that have pending deliveries, one index seek each (a skip scan of
// deliveries_pending_by_webhook), and takes from each webhook below the cap $7 its oldest due
// deliveries, as many as it has free slots; then the oldest $4 of those. Its cost grows with
// the webhooks and the slots, not with the backlog behind a webhook at its cap.
// FOR UPDATE SKIP LOCKED passes over rows another process is claiming right now; a row it has
// claimed and committed is re-checked against the lease condition and dropped. So no two
// processes ever hold the same delivery.
inline constexpr auto kClaimDueText = join(
    "WITH RECURSIVE pending_webhooks(webhook_id) AS ("
    "   (SELECT webhook_id FROM deliveries WHERE status = 'pending'"
    "     ORDER BY webhook_id LIMIT 1)"
    "   UNION ALL SELECT (SELECT d.webhook_id FROM deliveries d WHERE d.status = 'pending'"
    "     AND d.webhook_id > p.webhook_id ORDER BY d.webhook_id LIMIT 1)"
    "   FROM pending_webhooks p WHERE p.webhook_id IS NOT NULL),"
    " busy AS (SELECT * FROM unnest($5::bigint[], $6::bigint[]) AS b(webhook_id, n)),"
    " open AS (SELECT p.webhook_id, $7::bigint - COALESCE(busy.n, 0) AS room"
    "   FROM pending_webhooks p JOIN webhooks w ON w.id = p.webhook_id"
    "   LEFT JOIN busy USING (webhook_id)"
    "   WHERE w.status = 'enabled' AND COALESCE(busy.n, 0) < $7::bigint),"
    " due AS (SELECT x.id, x.next_attempt_at FROM open o CROSS JOIN LATERAL ("
    "   SELECT d.id, d.next_attempt_at FROM deliveries d"
    "   WHERE d.webhook_id = o.webhook_id AND d.status = 'pending'"
    "   AND d.next_attempt_at <= $3::bigint"
    "   AND (d.lease_until IS NULL OR d.lease_until < $3::bigint)"
    "   ORDER BY d.next_attempt_at LIMIT LEAST(o.room, $4::bigint)"
    "   FOR UPDATE OF d SKIP LOCKED) x),"
    " chosen AS (SELECT id FROM due ORDER BY next_attempt_at, id LIMIT $4::bigint),",
    kLeaseChosen);
inline constexpr const char* kClaimDue = kClaimDueText.data();

// Rows the head walks beyond the claim's limit before it gives way to kClaimDue. Each row of
// the head is locked, and each lock is written to the WAL: a small budget, for the common case
// of a few webhooks at their cap; a head full of capped rows takes the walk of kClaimDue.
inline constexpr int64_t kHeadBudget = 32;
// How the claim's transaction runs.
// - kLockHead's plan, whatever the table's statistics say: an ordered walk of deliveries_due
//   that stops at the limit. A queue's statistics are stale by nature (a burst of events fills
//   it between two autovacuum analyses); believing it nearly empty, the planner would read
//   every due row (through a bitmap, or another index) and sort them all, which costs as much
//   as the backlog is long. With no bitmap, no sequential scan and no sort to choose, kLockHead
//   has one plan left. kUnpinPlan then gives kLeaseHead, which needs sorts, the usual planner.
// - Its commit does not wait for the disk. A lease lost when the database server crashes only
//   lets another worker take the delivery sooner than when the lease would have run out; the
//   attempt itself is recorded, with a commit that waits, as before. Either way the delivery
//   may be sent twice, which at-least-once allows, and nothing accepted is lost.
inline constexpr const char* kHeadTransaction =
    "SET LOCAL synchronous_commit = off; SET LOCAL enable_bitmapscan = off;"
    " SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off";
inline constexpr const char* kUnpinPlan =
    "RESET enable_bitmapscan; RESET enable_seqscan; RESET enable_sort";

}  // namespace hookd::store::postgres
