#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace hookd::store::sqlite {

// A prepared statement borrowed from a connection's cache; reset when it goes out of scope.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, std::nullopt_t);
  Statement& bind(int index, const std::optional<std::string>& value);
  Statement& bind(int index, const std::optional<int64_t>& value);

  // Advances to the next row; false when done. Throws StoreError on failure.
  bool step();
  // Runs a statement that returns no rows.
  void run();

  int64_t column_int(int index) const;
  std::string column_text(int index) const;
  std::optional<std::string> column_optional_text(int index) const;
  std::optional<int64_t> column_optional_int(int index) const;

 private:
  sqlite3_stmt* stmt_;
};

// What a commit must survive. Commits a client is answered for (events, webhooks, tokens, ...)
// are synced before they return; commits that only record attempts, leases or purges may be
// lost to a power cut, which can only cause a resend or a second purge (see WriteTransaction).
enum class Durability { kSynced, kMayBeLost };

// One SQLite connection with a cache of prepared statements keyed by their SQL text.
class Connection {
 public:
  explicit Connection(const std::string& path);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // `sync_commits` false leaves every commit to NORMAL, the durability of checkpoints.
  Connection(const std::string& path, bool sync_commits);

  // `sql` must outlive the connection (use string literals): it keys the cache by address.
  Statement prepare(const char* sql);
  void exec(const char* sql);
  int64_t last_insert_rowid() const;
  int changes() const;
  // Makes what this connection committed survive a power cut: syncs the WAL through the VFS
  // (a no-op when `sync_commits` is false). Thread-safe against other connections' writes.
  void sync_wal();

  // Called on the committing thread after each commit with the WAL's length in frames, in
  // place of SQLite's automatic checkpoint (see WalCheckpointer).
  using WalObserver = std::function<void(Connection&, int frames)>;
  void observe_wal(WalObserver observer);
  // Copies into the database the WAL's frames that no reader still needs, waiting for no
  // reader or writer (SQLITE_CHECKPOINT_PASSIVE). Busy is no failure: the next one copies.
  void checkpoint_passive();

 private:
  static int on_wal_commit(void* self, sqlite3* db, const char* schema, int frames);

  sqlite3* db_ = nullptr;
  WalObserver wal_observer_;
  bool sync_commits_ = true;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back unless commit() is reached. IMMEDIATE takes the
// write lock up front, so two writers never deadlock upgrading from a read. Writers of one
// process queue on `writer` first: SQLite's own busy handler waits by sleeping in steps of
// up to 100 ms, which would put that much latency on every contended write.
//
// Every commit runs with synchronous=NORMAL, so COMMIT writes its frames to the WAL without
// waiting for the disk. A kSynced commit then lets the next writer in and only then syncs
// the WAL (through SQLite's VFS), before commit() returns: the sync, which covers every frame
// before it, no longer holds up the writers behind it, and it still ends before the client is
// answered. A kMayBeLost commit is not synced: its frames reach the disk at the next synced
// commit or checkpoint. WAL recovery keeps a prefix of the log, so what a power cut can take
// is only the attempt and lease records written since the last synced commit; every such
// delivery is then pending again and sent again: a resend, never a lost event.
class WriteTransaction {
 public:
  WriteTransaction(Connection& c, std::mutex& writer, Durability durability = Durability::kSynced);
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  ~WriteTransaction();
  // Throws StoreError when the commit, or a kSynced commit's sync, failed; after a failed
  // sync the commit may or may not survive a power cut, so its client must not be told it was
  // stored.
  void commit();

 private:
  std::unique_lock<std::mutex> lock_;
  Connection& conn_;
  const Durability durability_;
  bool done_ = false;
};

// BEGIN ... COMMIT around reads alone: every read in it sees one snapshot of the database, taken
// at its first read, while writers go on (WAL). Rolled back unless commit() is reached.
class ReadTransaction {
 public:
  explicit ReadTransaction(Connection& c);
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;
  ~ReadTransaction();
  void commit();

 private:
  Connection& conn_;
  bool done_ = false;
};

}  // namespace hookd::store::sqlite
