// SqliteStore: Idempotency-Key claims, their answers and their expiry.
#include "store/sqlite/connection.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace hookd::store::sqlite {
namespace {

// Takes the key when it is new, expired, or held by a claim that ran out for the same request;
// returns nothing when another request holds it or answered it.
constexpr const char* kClaimKey =
    "INSERT INTO idempotency_keys (key_hash, fingerprint, generation, running_until, expires_at)"
    " VALUES (?1, ?2, 1, ?3, ?4)"
    " ON CONFLICT (key_hash) DO UPDATE SET fingerprint = excluded.fingerprint,"
    "   generation = idempotency_keys.generation + 1, running_until = excluded.running_until,"
    "   expires_at = excluded.expires_at, status = NULL, body = NULL"
    " WHERE idempotency_keys.expires_at <= ?5"
    "   OR (idempotency_keys.status IS NULL AND idempotency_keys.running_until <= ?5"
    "       AND idempotency_keys.fingerprint = excluded.fingerprint)"
    " RETURNING generation";
constexpr const char* kFindKey =
    "SELECT fingerprint, status, body FROM idempotency_keys WHERE key_hash = ?1";
constexpr const char* kCompleteKey =
    "UPDATE idempotency_keys SET status = ?3, body = ?4"
    " WHERE key_hash = ?1 AND generation = ?2 AND status IS NULL";
constexpr const char* kReleaseKey =
    "DELETE FROM idempotency_keys WHERE key_hash = ?1 AND generation = ?2 AND status IS NULL";
constexpr const char* kPurgeKeys =
    "DELETE FROM idempotency_keys WHERE key_hash IN"
    " (SELECT key_hash FROM idempotency_keys WHERE expires_at <= ?1 LIMIT ?2)";

}  // namespace

IdempotencyClaim SqliteStore::claim_idempotency_key(const IdempotencyRequest& request) {
  Lease c = acquire();
  // Synced: a claim lost to a power cut would let a retry act a second time.
  WriteTransaction tx(*c, write_mutex_);
  IdempotencyClaim claim;
  {
    Statement s = c->prepare(kClaimKey);
    s.bind(1, std::string_view(request.key_hash))
        .bind(2, std::string_view(request.fingerprint))
        .bind(3, to_unix_micros(request.running_until))
        .bind(4, to_unix_micros(request.expires_at))
        .bind(5, to_unix_micros(request.now));
    if (s.step()) {
      claim.kind = IdempotencyClaim::Kind::kNew;
      claim.generation = s.column_int(0);
    }
  }
  if (claim.generation == 0) {
    // One writer at a time: the row the claim did not take is still there.
    Statement s = c->prepare(kFindKey);
    s.bind(1, std::string_view(request.key_hash));
    if (!s.step()) throw StoreError("idempotency key vanished inside its transaction");
    claim = found_idempotency_claim(request, s.column_text(0), s.column_optional_int(1),
                                    s.column_text(2));
  }
  tx.commit();
  return claim;
}

bool SqliteStore::complete_idempotency_key(std::string_view key_hash, int64_t generation,
                                           const StoredAnswer& answer) {
  const std::string sealed = seal_idempotent_answer(key_hash, answer.body);
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  c->prepare(kCompleteKey)
      .bind(1, key_hash)
      .bind(2, generation)
      .bind(3, static_cast<int64_t>(answer.status))
      .bind(4, std::string_view(sealed))
      .run();
  const bool completed = c->changes() > 0;
  tx.commit();
  return completed;
}

void SqliteStore::release_idempotency_key(std::string_view key_hash, int64_t generation) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  c->prepare(kReleaseKey).bind(1, key_hash).bind(2, generation).run();
  tx.commit();
}

int64_t SqliteStore::purge_idempotency_keys(TimePoint now, size_t limit) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_, Durability::kMayBeLost);  // lost: purged again
  c->prepare(kPurgeKeys).bind(1, to_unix_micros(now)).bind(2, static_cast<int64_t>(limit)).run();
  const int64_t purged = c->changes();
  tx.commit();
  return purged;
}

}  // namespace hookd::store::sqlite
