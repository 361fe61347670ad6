// PostgresStore: Idempotency-Key claims, their answers and their expiry, across processes.
#include "store/postgres/connection.hpp"
#include "store/postgres/postgres_store.hpp"

namespace hookd::store::postgres {
namespace {

// Takes the key when it is new, expired, or held by a claim that ran out for the same request;
// returns nothing when another request holds it or answered it. Concurrent claims meet on the
// primary key: the second waits for the first to commit, then finds the key taken.
constexpr const char* kClaimKey =
    "INSERT INTO idempotency_keys (key_hash, fingerprint, generation, running_until, expires_at)"
    " VALUES ($1, $2, 1, $3, $4)"
    " ON CONFLICT (key_hash) DO UPDATE SET fingerprint = excluded.fingerprint,"
    "   generation = idempotency_keys.generation + 1, running_until = excluded.running_until,"
    "   expires_at = excluded.expires_at, status = NULL, body = NULL"
    " WHERE idempotency_keys.expires_at <= $5"
    "   OR (idempotency_keys.status IS NULL AND idempotency_keys.running_until <= $5"
    "       AND idempotency_keys.fingerprint = excluded.fingerprint)"
    " RETURNING generation";
constexpr const char* kFindKey =
    "SELECT fingerprint, status, body FROM idempotency_keys WHERE key_hash = $1";
constexpr const char* kCompleteKey =
    "UPDATE idempotency_keys SET status = $3, body = $4"
    " WHERE key_hash = $1 AND generation = $2 AND status IS NULL";
constexpr const char* kReleaseKey =
    "DELETE FROM idempotency_keys WHERE key_hash = $1 AND generation = $2 AND status IS NULL";
constexpr const char* kPurgeKeys =
    "DELETE FROM idempotency_keys WHERE key_hash IN"
    " (SELECT key_hash FROM idempotency_keys WHERE expires_at <= $1 LIMIT $2)";

// A key released or purged between the claim and the look that followed it is claimed again,
// this many times at most.
constexpr int kClaimRounds = 3;

}  // namespace

IdempotencyClaim PostgresStore::claim_idempotency_key(const IdempotencyRequest& request) {
  auto c = pool_.acquire();
  for (int round = 1;; ++round) {
    {
      Result r = c->exec(kClaimKey, Params()
                                        .add(request.key_hash)
                                        .add(request.fingerprint)
                                        .add(to_unix_micros(request.running_until))
                                        .add(to_unix_micros(request.expires_at))
                                        .add(to_unix_micros(request.now)));
      if (r.rows() == 1) {
        return IdempotencyClaim{IdempotencyClaim::Kind::kNew, r.get_int(0, 0), std::nullopt};
      }
    }
    Result r = c->exec(kFindKey, Params().add(request.key_hash));
    if (r.rows() == 0) {
      if (round == kClaimRounds) throw StoreError("idempotency key keeps vanishing");
      continue;
    }
    return found_idempotency_claim(request, r.get_text(0, 0), r.get_optional_int(0, 1),
                                   r.get_text(0, 2));
  }
}

bool PostgresStore::complete_idempotency_key(std::string_view key_hash, int64_t generation,
                                             const StoredAnswer& answer) {
  const std::string sealed = seal_idempotent_answer(key_hash, answer.body);
  auto c = pool_.acquire();
  return c->exec(kCompleteKey, Params()
                                   .add(key_hash)
                                   .add(generation)
                                   .add(static_cast<int64_t>(answer.status))
                                   .add(sealed))
             .affected() > 0;
}

void PostgresStore::release_idempotency_key(std::string_view key_hash, int64_t generation) {
  auto c = pool_.acquire();
  c->exec(kReleaseKey, Params().add(key_hash).add(generation));
}

int64_t PostgresStore::purge_idempotency_keys(TimePoint now, size_t limit) {
  auto c = pool_.acquire();
  return c->exec(kPurgeKeys, Params().add(to_unix_micros(now)).add(static_cast<int64_t>(limit)))
      .affected();
}

}  // namespace hookd::store::postgres
