// PostgresStore: secrets at rest, as stored, for sealing and re-encryption.
#include "store/postgres/connection.hpp"
#include "store/postgres/postgres_store.hpp"

namespace hookd::store::postgres {
namespace {

// (webhook id, value) is the walk's cursor for every field: a webhook's rotated-out secrets
// have no id of their own, and each sealed text is unique (its nonce is random).
constexpr const char* kHmacAfter =
    "SELECT id, secret_hmac FROM webhooks WHERE id > $1 ORDER BY id LIMIT $2";
constexpr const char* kHttpAfter =
    "SELECT id, secret_http FROM webhooks WHERE id > $1 AND secret_http IS NOT NULL"
    " ORDER BY id LIMIT $2";
constexpr const char* kInGraceAfter =
    "SELECT webhook_id, secret FROM webhook_secrets WHERE (webhook_id, secret) > ($1, $3)"
    " ORDER BY webhook_id, secret LIMIT $2";
constexpr const char* kSwapHmac =
    "UPDATE webhooks SET secret_hmac = $3 WHERE id = $1 AND secret_hmac = $2";
constexpr const char* kSwapHttp =
    "UPDATE webhooks SET secret_http = $3 WHERE id = $1 AND secret_http = $2";
constexpr const char* kSwapInGrace =
    "UPDATE webhook_secrets SET secret = $3 WHERE webhook_id = $1 AND secret = $2";
constexpr const char* kForgetAllExpired = "DELETE FROM webhook_secrets WHERE expires_at <= $1";

}  // namespace

std::vector<StoredSecret> PostgresStore::stored_secrets(SecretField field,
                                                        const std::optional<StoredSecret>& after,
                                                        size_t limit) {
  auto c = pool_.acquire();
  Params p;
  p.add(after ? after->webhook_id : int64_t{0}).add(static_cast<int64_t>(limit));
  const char* sql = kInGraceAfter;
  if (field == SecretField::kHmac) {
    sql = kHmacAfter;
  } else if (field == SecretField::kHttp) {
    sql = kHttpAfter;
  } else {
    p.add(after ? after->value : std::string());
  }
  Result r = c->exec(sql, p);
  std::vector<StoredSecret> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back({field, r.get_int(i, 0), r.get_text(i, 1)});
  return out;
}

size_t PostgresStore::replace_stored_secrets(const std::vector<SecretReplacement>& replacements) {
  auto c = pool_.acquire();
  Transaction tx(*c);
  size_t changed = 0;
  for (const SecretReplacement& r : replacements) {
    const char* sql = r.current.field == SecretField::kHmac   ? kSwapHmac
                      : r.current.field == SecretField::kHttp ? kSwapHttp
                                                              : kSwapInGrace;
    changed += static_cast<size_t>(
        c->exec(sql, Params().add(r.current.webhook_id).add(r.current.value).add(r.value))
            .affected());
  }
  tx.commit();
  return changed;
}

int64_t PostgresStore::forget_expired_secrets(TimePoint now) {
  auto c = pool_.acquire();
  return c->exec(kForgetAllExpired, Params().add(to_unix_micros(now))).affected();
}

}  // namespace hookd::store::postgres
