#include "store/sqlite/connection.hpp"

#include <sqlite3.h>

#include <mutex>

#include "store/store.hpp"

namespace hookd::store::sqlite {
namespace {

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  throw StoreError(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

}  // namespace

Statement::~Statement() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Statement& Statement::bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int index, std::nullopt_t) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Statement& Statement::bind(int index, const std::optional<std::string>& value) {
  return value ? bind(index, std::string_view(*value)) : bind(index, std::nullopt);
}

Statement& Statement::bind(int index, const std::optional<int64_t>& value) {
  return value ? bind(index, *value) : bind(index, std::nullopt);
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(sqlite3_db_handle(stmt_), "sqlite step");
}

void Statement::run() {
  while (step()) {
  }
}

int64_t Statement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Statement::column_text(int index) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, index)))
           : std::string();
}

std::optional<std::string> Statement::column_optional_text(int index) const {
  if (sqlite3_column_type(stmt_, index) == SQLITE_NULL) return std::nullopt;
  return column_text(index);
}

std::optional<int64_t> Statement::column_optional_int(int index) const {
  if (sqlite3_column_type(stmt_, index) == SQLITE_NULL) return std::nullopt;
  return column_int(index);
}

Connection::Connection(const std::string& path) : Connection(path, true) {}

Connection::Connection(const std::string& path, bool sync_commits) : sync_commits_(sync_commits) {
  // SQLite's allocation statistics take a global mutex on every allocation, which every
  // thread's reads would then contend on; hookd does not read them.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string msg = "cannot open SQLite database " + path + ": " +
                      (db_ ? sqlite3_errmsg(db_) : "out of memory");
    sqlite3_close(db_);
    throw StoreError(msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  // WAL lets readers proceed while one writer commits. NORMAL survives process crashes (a
  // power loss may drop the last commits, never corrupt the file); WriteTransaction syncs the
  // WAL after the commits that must survive a power loss too.
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  exec("PRAGMA foreign_keys=ON");
  // Pages of the database file are read through a mapping rather than a pread each (pages
  // still in the WAL are read from it as before), and each connection keeps up to 32 MiB of
  // pages: the delivery queue's indexes and the newest events stay in memory.
  exec("PRAGMA mmap_size=1073741824");
  exec("PRAGMA cache_size=-32768");
  // Freed cells are zeroed, so a deleted webhook's sealed secrets do not stay in the file.
  exec("PRAGMA secure_delete=ON");
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Statement Connection::prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Statement(it->second);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    fail(db_, "sqlite prepare");
  }
  cache_.emplace(sql, stmt);
  return Statement(stmt);
}

void Connection::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw StoreError("sqlite exec: " + msg);
  }
}

int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int Connection::changes() const { return sqlite3_changes(db_); }

void Connection::sync_wal() {
  if (!sync_commits_) return;
  sqlite3_file* wal = nullptr;
  if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK) {
    throw StoreError("sqlite: the WAL file to sync cannot be found");
  }
  // Open in WAL mode once the connection has written; a database not in WAL mode (in memory)
  // has no log to sync.
  if (wal == nullptr || wal->pMethods == nullptr) return;
  if (wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL) != SQLITE_OK) {
    throw StoreError("sqlite: syncing the WAL failed");
  }
}

void Connection::observe_wal(WalObserver observer) {
  wal_observer_ = std::move(observer);
  sqlite3_wal_hook(db_, &Connection::on_wal_commit, this);
}

int Connection::on_wal_commit(void* self, sqlite3* /*db*/, const char* /*schema*/, int frames) {
  auto& c = *static_cast<Connection*>(self);
  c.wal_observer_(c, frames);
  return SQLITE_OK;
}

void Connection::checkpoint_passive() {
  const int rc =
      sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) fail(db_, "sqlite checkpoint");
}

WriteTransaction::WriteTransaction(Connection& c, std::mutex& writer, Durability durability)
    : lock_(writer), conn_(c), durability_(durability) {
  conn_.exec("BEGIN IMMEDIATE");
}

WriteTransaction::~WriteTransaction() {
  if (!done_) {
    try {
      conn_.exec("ROLLBACK");
    } catch (const StoreError&) {
      // The transaction is already gone (e.g. the connection failed); nothing to undo.
    }
  }
}

void WriteTransaction::commit() {
  conn_.exec("COMMIT");
  done_ = true;
  lock_.unlock();
  if (durability_ == Durability::kSynced) conn_.sync_wal();
}

ReadTransaction::ReadTransaction(Connection& c) : conn_(c) { conn_.exec("BEGIN"); }

ReadTransaction::~ReadTransaction() {
  if (!done_) {
    try {
      conn_.exec("ROLLBACK");
    } catch (const StoreError&) {
      // The transaction is already gone (e.g. the connection failed); nothing to undo.
    }
  }
}

void ReadTransaction::commit() {
  conn_.exec("COMMIT");
  done_ = true;
}

}  // namespace hookd::store::sqlite
