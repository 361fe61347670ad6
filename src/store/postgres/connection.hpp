#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

struct pg_conn;
struct pg_result;

namespace hookd::store::postgres {

// PostgreSQL aborted the transaction to resolve a deadlock or a serialization conflict with
// another transaction; running it again from the start may well succeed.
struct TransientError : StoreError {
  using StoreError::StoreError;
};

// Runs `body` (which must open its own transaction) up to three times while it fails with a
// TransientError.
template <typename F>
auto with_retries(F&& body) {
  for (int attempt = 1;; ++attempt) {
    try {
      return body();
    } catch (const TransientError&) {
      if (attempt == 3) throw;
    }
  }
}

// Query parameters, all sent in text format: values travel beside the SQL, never inside it.
class Params {
 public:
  Params() = default;

  Params& add(int64_t value);
  Params& add(bool value);
  Params& add(std::string_view value);
  Params& add(const char* value) { return add(std::string_view(value)); }
  Params& add(const std::string& value) { return add(std::string_view(value)); }
  Params& add(std::nullopt_t);
  Params& add(const std::optional<std::string>& value);
  Params& add(const std::optional<int64_t>& value);
  // A bigint[] parameter, e.g. for `= ANY($1::bigint[])` or unnest().
  Params& add(const std::vector<int64_t>& values);
  // A boolean[] parameter.
  Params& add(const std::vector<bool>& values);
  // A bigint[] parameter with NULLs (nullopt).
  Params& add(const std::vector<std::optional<int64_t>>& values);
  // A text[] parameter (nullopt: NULL), e.g. for unnest($1::text[]).
  Params& add(const std::vector<std::optional<std::string>>& values);

  int size() const { return static_cast<int>(values_.size()); }
  // Pointers into this object, valid while it lives and is not changed.
  std::vector<const char*> pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

// One query's result; owns the PGresult. Rows and columns are 0-based.
class Result {
 public:
  explicit Result(pg_result* result);
  Result(Result&&) noexcept = default;
  Result& operator=(Result&&) noexcept = default;
  ~Result();

  int rows() const;
  // The rows an INSERT, UPDATE or DELETE touched.
  int64_t affected() const;

  bool is_null(int row, int column) const;
  int64_t get_int(int row, int column) const;
  bool get_bool(int row, int column) const;
  std::string get_text(int row, int column) const;
  std::optional<std::string> get_optional_text(int row, int column) const;
  std::optional<int64_t> get_optional_int(int row, int column) const;

 private:
  struct Deleter {
    void operator()(pg_result* r) const;
  };
  std::unique_ptr<pg_result, Deleter> result_;
};

struct ConnectionOptions {
  std::chrono::seconds connect_timeout{5};
  // A statement that runs longer is cancelled by the server, so that a stuck query cannot
  // hold a pooled connection (and its locks) for ever.
  std::chrono::milliseconds statement_timeout{30'000};
};

// One libpq connection. Every failure throws StoreError; a failure that lost the connection
// also marks it broken, and the pool then drops it instead of handing it out again.
class Connection {
 public:
  Connection(const std::string& url, const ConnectionOptions& options);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // One parameterised statement (PQexecParams, text format).
  Result exec(const char* sql, const Params& params = {});
  // Several statements without parameters (migrations, BEGIN/COMMIT).
  void exec_script(const char* sql);

  // False once the connection failed, or when it is no longer idle between transactions.
  // Reads what the server sent meanwhile, so a connection the server closed (a restart)
  // is found out before it is used.
  bool healthy();
  bool broken() const { return broken_; }

  // For LISTEN: the socket to wait on for notifications, and the channels of those that have
  // arrived (reads what the server sent without blocking; throws StoreError when it is gone).
  int socket() const;
  std::vector<std::string> take_notifications();

 private:
  [[noreturn]] void fail(const pg_result* result, std::string_view what);

  pg_conn* conn_ = nullptr;
  bool broken_ = false;
};

// BEGIN ... COMMIT, rolled back unless commit() is reached.
class Transaction {
 public:
  explicit Transaction(Connection& c);
  // Begins with `settings` (SET LOCAL statements) in the same round trip.
  Transaction(Connection& c, const char* settings);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  Connection& conn_;
  bool done_ = false;
};

struct PoolOptions {
  size_t size = 8;
  std::chrono::milliseconds acquire_timeout{10'000};
  ConnectionOptions connection;
};

// A bounded pool of connections to one database, opened lazily. A broken connection is
// closed when it comes back, and a new one is opened on a later acquire: the pool outlives
// a restart of the database server.
class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> c);
    Lease(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() { return *conn_; }
    Connection* operator->() { return conn_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  ConnectionPool(std::string url, PoolOptions options);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;
  ~ConnectionPool();

  // Throws StoreError when no connection frees up within the acquire timeout, or when a new
  // one cannot be opened.
  Lease acquire();

 private:
  void release(std::unique_ptr<Connection> c);

  std::string url_;
  PoolOptions options_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  size_t open_ = 0;  // idle and leased
};

}  // namespace hookd::store::postgres
