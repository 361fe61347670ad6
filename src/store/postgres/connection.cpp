#include "store/postgres/connection.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>

#include "common/log.hpp"
#include "store/valid_text.hpp"

namespace hookd::store::postgres {
namespace {

// Errors after which the connection cannot be used again (SQLSTATE class 08, and the
// server shutting down or restarting under it).
bool is_connection_error(const char* sqlstate) {
  if (sqlstate == nullptr) return true;  // no answer at all
  return std::strncmp(sqlstate, "08", 2) == 0 || std::strcmp(sqlstate, "57P01") == 0 ||
         std::strcmp(sqlstate, "57P02") == 0 || std::strcmp(sqlstate, "57P03") == 0;
}

std::string trimmed(const char* message);

// libpq prints the server's notices (such as "relation already exists, skipping" of an
// idempotent migration) to stderr, where they would break hookd's one-JSON-object-per-line
// log; they go into the log at debug level instead.
void log_notice(void*, const char* message) {
  if (log::enabled(log::Level::kDebug)) log::debug("postgres notice", {{"text", trimmed(message)}});
}

std::string trimmed(const char* message) {
  std::string s = message ? message : "unknown error";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Params& Params::add(int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}

Params& Params::add(bool value) {
  values_.emplace_back(value ? "true" : "false");
  return *this;
}

// libpq's text parameters end at the first NUL, and a UTF8 database refuses invalid UTF-8:
// arbitrary bytes (what a receiver answered) would fail the whole transaction.
Params& Params::add(std::string_view value) {
  values_.emplace_back(is_valid_text(value) ? std::string(value) : to_valid_text(value));
  return *this;
}

Params& Params::add(std::nullopt_t) {
  values_.emplace_back(std::nullopt);
  return *this;
}

Params& Params::add(const std::optional<std::string>& value) {
  return value ? add(std::string_view(*value)) : add(std::nullopt);
}

Params& Params::add(const std::optional<int64_t>& value) {
  return value ? add(*value) : add(std::nullopt);
}

Params& Params::add(const std::vector<int64_t>& values) {
  std::string literal = "{";
  for (int64_t v : values) {
    if (literal.size() > 1) literal += ',';
    literal += std::to_string(v);
  }
  values_.emplace_back(literal + "}");
  return *this;
}

Params& Params::add(const std::vector<bool>& values) {
  std::string literal = "{";
  for (bool v : values) {
    if (literal.size() > 1) literal += ',';
    literal += v ? 't' : 'f';
  }
  values_.emplace_back(literal + "}");
  return *this;
}

Params& Params::add(const std::vector<std::optional<int64_t>>& values) {
  std::string literal = "{";
  for (const auto& v : values) {
    if (literal.size() > 1) literal += ',';
    literal += v ? std::to_string(*v) : "NULL";
  }
  values_.emplace_back(literal + "}");
  return *this;
}

Params& Params::add(const std::vector<std::optional<std::string>>& values) {
  std::string literal = "{";
  for (const auto& v : values) {
    if (literal.size() > 1) literal += ',';
    if (!v) {
      literal += "NULL";
      continue;
    }
    // Quoted, so that commas, braces, spaces and the word NULL stay text.
    literal += '"';
    for (char ch : is_valid_text(*v) ? *v : to_valid_text(*v)) {
      if (ch == '"' || ch == '\\') literal += '\\';
      literal += ch;
    }
    literal += '"';
  }
  values_.emplace_back(literal + "}");
  return *this;
}

std::vector<const char*> Params::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
  return out;
}

void Result::Deleter::operator()(pg_result* r) const { PQclear(r); }

Result::Result(pg_result* result) : result_(result) {}

Result::~Result() = default;

int Result::rows() const { return PQntuples(result_.get()); }

int64_t Result::affected() const {
  const char* n = PQcmdTuples(result_.get());
  int64_t v = 0;
  std::from_chars(n, n + std::strlen(n), v);
  return v;
}

bool Result::is_null(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

int64_t Result::get_int(int row, int column) const {
  const char* p = PQgetvalue(result_.get(), row, column);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(p, p + PQgetlength(result_.get(), row, column), v);
  if (ec != std::errc())
    throw StoreError("postgres: column " + std::to_string(column) + " is not an integer");
  return v;
}

bool Result::get_bool(int row, int column) const {
  return PQgetvalue(result_.get(), row, column)[0] == 't';
}

std::string Result::get_text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<size_t>(PQgetlength(result_.get(), row, column)));
}

std::optional<std::string> Result::get_optional_text(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return get_text(row, column);
}

std::optional<int64_t> Result::get_optional_int(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return get_int(row, column);
}

Connection::Connection(const std::string& url, const ConnectionOptions& options) {
  const std::string connect_timeout = std::to_string(options.connect_timeout.count());
  const std::string server_options =
      "-c statement_timeout=" + std::to_string(options.statement_timeout.count());
  // The URL comes last and is expanded in place (expand_dbname), so that what it sets itself
  // wins over these defaults.
  const char* keywords[] = {"connect_timeout", "options", "application_name",
                            "client_encoding", "dbname",  nullptr};
  const char* values[] = {
      connect_timeout.c_str(), server_options.c_str(), "hookd", "UTF8", url.c_str(), nullptr};
  conn_ = PQconnectdbParams(keywords, values, 1);
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    // The message names the host, never the password; the URL itself is not repeated.
    std::string msg =
        "cannot connect to PostgreSQL: " + trimmed(conn_ ? PQerrorMessage(conn_) : "out of memory");
    PQfinish(conn_);
    conn_ = nullptr;
    throw StoreError(msg);
  }
  PQsetNoticeProcessor(conn_, log_notice, nullptr);
}

Connection::~Connection() { PQfinish(conn_); }

void Connection::fail(const pg_result* result, std::string_view what) {
  const char* sqlstate = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  if (PQstatus(conn_) != CONNECTION_OK || is_connection_error(sqlstate)) broken_ = true;
  std::string msg = std::string(what) + ": " +
                    trimmed(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
  if (sqlstate != nullptr &&
      (std::strcmp(sqlstate, "40P01") == 0 || std::strcmp(sqlstate, "40001") == 0)) {
    throw TransientError(msg);
  }
  throw StoreError(msg);
}

Result Connection::exec(const char* sql, const Params& params) {
  const std::vector<const char*> values = params.pointers();
  pg_result* r =
      PQexecParams(conn_, sql, params.size(), nullptr, values.data(), nullptr, nullptr, 0);
  Result owner(r);  // PQresultStatus of a null result (out of memory) is PGRES_FATAL_ERROR
  const ExecStatusType status = PQresultStatus(r);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(r, "postgres query");
  return owner;
}

void Connection::exec_script(const char* sql) {
  pg_result* r = PQexec(conn_, sql);
  Result owner(r);
  const ExecStatusType status = PQresultStatus(r);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(r, "postgres exec");
}

bool Connection::healthy() {
  if (broken_ || PQstatus(conn_) != CONNECTION_OK) return false;
  // Non-blocking: takes in what the server sent meanwhile, such as its notice that it is
  // shutting down, and sees the socket closed.
  if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    return false;
  }
  return PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

int Connection::socket() const { return PQsocket(conn_); }

std::vector<std::string> Connection::take_notifications() {
  if (broken_ || PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    throw StoreError("PostgreSQL connection lost: " + trimmed(PQerrorMessage(conn_)));
  }
  std::vector<std::string> channels;
  while (PGnotify* n = PQnotifies(conn_)) {
    channels.emplace_back(n->relname);
    PQfreemem(n);
  }
  return channels;
}

Transaction::Transaction(Connection& c) : conn_(c) { conn_.exec_script("BEGIN"); }

Transaction::Transaction(Connection& c, const char* settings) : conn_(c) {
  try {
    conn_.exec_script(("BEGIN; " + std::string(settings)).c_str());
  } catch (const StoreError&) {
    // A setting refused leaves the transaction begun and failed: it is ended here.
    if (!conn_.broken()) {
      try {
        conn_.exec_script("ROLLBACK");
      } catch (const StoreError&) {
      }
    }
    throw;
  }
}

Transaction::~Transaction() {
  if (done_ || conn_.broken()) return;
  try {
    conn_.exec_script("ROLLBACK");
  } catch (const StoreError&) {
    // The connection failed with the transaction; the pool drops it.
  }
}

void Transaction::commit() {
  done_ = true;  // whatever COMMIT answers, there is nothing left to roll back
  conn_.exec_script("COMMIT");
}

ConnectionPool::Lease::Lease(ConnectionPool& pool, std::unique_ptr<Connection> c)
    : pool_(&pool), conn_(std::move(c)) {}

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), conn_(std::move(other.conn_)) {}

ConnectionPool::Lease::~Lease() {
  if (conn_) pool_->release(std::move(conn_));
}

ConnectionPool::ConnectionPool(std::string url, PoolOptions options)
    : url_(std::move(url)), options_(options) {
  if (options_.size == 0) options_.size = 1;
}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease ConnectionPool::acquire() {
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!idle_.empty()) {
      std::unique_ptr<Connection> c = std::move(idle_.back());
      idle_.pop_back();
      lock.unlock();
      if (c->healthy()) return Lease(*this, std::move(c));
      c.reset();  // closed; its slot opens a new one
      lock.lock();
      --open_;
      continue;
    }
    if (open_ < options_.size) {
      ++open_;
      lock.unlock();
      try {
        return Lease(*this, std::make_unique<Connection>(url_, options_.connection));
      } catch (...) {
        lock.lock();
        --open_;
        available_.notify_one();
        throw;
      }
    }
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.size) {
      throw StoreError("timed out waiting for a database connection");
    }
  }
}

void ConnectionPool::release(std::unique_ptr<Connection> c) {
  if (c->broken()) {
    c.reset();  // closed outside the lock
    std::lock_guard lock(mutex_);
    --open_;
  } else {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(c));
  }
  available_.notify_one();
}

}  // namespace hookd::store::postgres
