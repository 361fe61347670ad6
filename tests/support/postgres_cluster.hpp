#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "support/temp_dir.hpp"

namespace hookd::testing {

// A PostgreSQL server that belongs to one test: initdb into a temporary directory, a free port
// on 127.0.0.1, fsync off (its data is thrown away). The test can stop, start and restart it
// under the hookd processes that use it. Runs Debian's server binaries
// (/usr/lib/postgresql/*/bin, the newest); as root, the server runs as the postgres user.
// The destructor stops it at once and removes its files.
class PostgresCluster {
 public:
  // How pg_ctl stops the server: kFast disconnects clients and shuts down cleanly,
  // kImmediate aborts like a crash (the next start replays the log).
  enum class StopMode { kFast, kImmediate };

  // Creates and starts the cluster; throws std::runtime_error (with the server's log) when
  // that fails. installed() says beforehand whether it can.
  PostgresCluster();
  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // True when the PostgreSQL server binaries are installed.
  static bool installed();

  uint16_t port() const { return port_; }
  // postgresql://hookd@127.0.0.1:PORT/DBNAME; the port stays the same across restarts.
  std::string url(std::string_view dbname = "postgres") const;
  // CREATE DATABASE `name` (letters, digits and '_'); throws std::runtime_error.
  void create_database(std::string_view name);

  // pg_ctl with -w: each returns once the server is up (or down). Throw std::runtime_error.
  void start();
  void stop(StopMode mode = StopMode::kFast);
  void restart(StopMode mode = StopMode::kFast);
  bool running() const { return running_; }

  // The rows of a query on database `dbname`; each column is followed by '|' (NULL for
  // nulls), as sqlite_rows() gives them. Throws when the server cannot answer.
  std::vector<std::string> rows(std::string_view dbname, const std::string& sql) const;

  // The server's log so far, for failure messages.
  std::string log() const;

 private:
  // Runs one of the server's programs (as the postgres user when we are root).
  void run(const std::vector<std::string>& args) const;

  TempDir dir_;
  std::string bin_;
  std::string data_dir_;
  std::string log_file_;
  uint16_t port_ = 0;
  bool running_ = false;
};

}  // namespace hookd::testing
