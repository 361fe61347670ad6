#pragma once

#include <optional>
#include <string>

namespace hookd::testing {

// The PostgreSQL server tests may use: HOOKD_TEST_POSTGRES_URL (scripts/with-postgres.sh sets
// it), any database on that server. Empty when unset.
std::optional<std::string> test_postgres_server_url();

// `url` with its database name replaced by `database`, keeping user, host and query parameters.
std::string with_database(const std::string& url, const std::string& database);

// A database of its own on the server of HOOKD_TEST_POSTGRES_URL, created empty with a unique
// name and dropped (best effort, with every connection still open to it) on destruction.
// Throws std::runtime_error when the variable is unset or the server refuses.
class PostgresTestDatabase {
 public:
  PostgresTestDatabase();
  ~PostgresTestDatabase();

  PostgresTestDatabase(const PostgresTestDatabase&) = delete;
  PostgresTestDatabase& operator=(const PostgresTestDatabase&) = delete;

  // postgresql://... naming this database.
  const std::string& url() const { return url_; }
  // Its name: [a-z0-9_] only, so it can be spelled in SQL without quoting.
  const std::string& name() const { return name_; }
  // The URL of HOOKD_TEST_POSTGRES_URL, for statements about databases (CREATE, DROP).
  const std::string& server_url() const { return server_url_; }

 private:
  std::string server_url_;
  std::string name_;
  std::string url_;
};

// Runs statements without parameters on the database `url` names; throws std::runtime_error
// with the server's message on failure.
void execute_postgres(const std::string& url, const std::string& sql);

}  // namespace hookd::testing
