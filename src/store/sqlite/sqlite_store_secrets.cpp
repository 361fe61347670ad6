// SqliteStore: secrets at rest, as stored, for sealing and re-encryption; deleted ones let go.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace hookd::store::sqlite {
namespace {

// (webhook id, value) is the walk's cursor for every field: a webhook's rotated-out secrets
// have no id of their own, and each sealed text is unique (its nonce is random).
constexpr const char* kHmacAfter =
    "SELECT id, secret_hmac FROM webhooks WHERE id > ?1 ORDER BY id LIMIT ?3";
constexpr const char* kHttpAfter =
    "SELECT id, secret_http FROM webhooks WHERE id > ?1 AND secret_http IS NOT NULL"
    " ORDER BY id LIMIT ?3";
constexpr const char* kInGraceAfter =
    "SELECT webhook_id, secret FROM webhook_secrets WHERE (webhook_id, secret) > (?1, ?2)"
    " ORDER BY webhook_id, secret LIMIT ?3";
constexpr const char* kSwapHmac =
    "UPDATE webhooks SET secret_hmac = ?3 WHERE id = ?1 AND secret_hmac = ?2";
constexpr const char* kSwapHttp =
    "UPDATE webhooks SET secret_http = ?3 WHERE id = ?1 AND secret_http = ?2";
constexpr const char* kSwapInGrace =
    "UPDATE webhook_secrets SET secret = ?3 WHERE webhook_id = ?1 AND secret = ?2";
constexpr const char* kForgetAllExpired = "DELETE FROM webhook_secrets WHERE expires_at <= ?1";

}  // namespace

std::vector<StoredSecret> SqliteStore::stored_secrets(SecretField field,
                                                      const std::optional<StoredSecret>& after,
                                                      size_t limit) {
  const char* sql = field == SecretField::kHmac   ? kHmacAfter
                    : field == SecretField::kHttp ? kHttpAfter
                                                  : kInGraceAfter;
  Lease c = acquire();
  Statement s = c->prepare(sql);
  s.bind(1, after ? after->webhook_id : int64_t{0})
      .bind(2, std::string_view(after ? after->value : std::string()))
      .bind(3, static_cast<int64_t>(limit));
  std::vector<StoredSecret> out;
  while (s.step()) out.push_back({field, s.column_int(0), s.column_text(1)});
  return out;
}

size_t SqliteStore::replace_stored_secrets(const std::vector<SecretReplacement>& replacements) {
  Lease c = acquire();
  size_t changed = 0;
  {
    WriteTransaction tx(*c, write_mutex_);
    for (const SecretReplacement& r : replacements) {
      const char* sql = r.current.field == SecretField::kHmac   ? kSwapHmac
                        : r.current.field == SecretField::kHttp ? kSwapHttp
                                                                : kSwapInGrace;
      c->prepare(sql)
          .bind(1, r.current.webhook_id)
          .bind(2, std::string_view(r.current.value))
          .bind(3, std::string_view(r.value))
          .run();
      changed += static_cast<size_t>(c->changes());
    }
    tx.commit();
  }
  // What was replaced may have been plaintext: its old page images go too.
  if (changed > 0) checkpoint_truncate(*c);
  return changed;
}

int64_t SqliteStore::forget_expired_secrets(TimePoint now) {
  Lease c = acquire();
  int64_t forgotten = 0;
  {
    WriteTransaction tx(*c, write_mutex_);
    c->prepare(kForgetAllExpired).bind(1, to_unix_micros(now)).run();
    forgotten = c->changes();
    tx.commit();
  }
  if (forgotten > 0) checkpoint_truncate(*c);
  return forgotten;
}

void SqliteStore::make_files_private(const std::string& path) {
  if (path == ":memory:" || path.empty()) return;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  if (errno != EEXIST) {
    throw StoreError("cannot create the SQLite database " + path + ": " + std::strerror(errno));
  }
  for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0 || (st.st_mode & 077) == 0) continue;
    if (::chmod(file.c_str(), st.st_mode & 0700) != 0) {
      // Not fatal: the file may belong to another user, who set it up so on purpose.
      log::warn("a database file is readable by others and cannot be changed",
                {{"path", file}, {"error", std::strerror(errno)}});
      continue;
    }
    log::info("made a database file readable by its owner only", {{"path", file}});
  }
}

void SqliteStore::checkpoint_truncate(Connection& c) {
  // Under the writer lock (not held by the caller), so that this process's own writers do not
  // keep the WAL busy.
  std::lock_guard lock(write_mutex_);
  Statement s = c.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
  // One row: busy (1 when a reader or writer kept it from finishing), WAL frames, copied frames.
  if (s.step() && s.column_int(0) != 0) {
    log::warn("WAL checkpoint after deleting secrets did not finish; the next one will");
  }
}

}  // namespace hookd::store::sqlite
