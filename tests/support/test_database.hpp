#pragma once

#include <memory>
#include <string>

#include "support/postgres_test_database.hpp"
#include "support/temp_dir.hpp"

namespace hookd::testing {

// The backend end-to-end tests run on, from HOOKD_TEST_BACKEND: "sqlite" (or unset) or
// "postgres". Throws std::runtime_error for any other value.
enum class TestBackend { kSqlite, kPostgres };
TestBackend test_backend();

// A fresh, empty database of the test backend that lives as long as this object: a file in a
// temporary directory for SQLite, a database of its own on the server of
// HOOKD_TEST_POSTGRES_URL for PostgreSQL (throws std::runtime_error when that is unset: a
// PostgreSQL run never falls back to SQLite silently).
class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }

 private:
  TempDir dir_;
  std::unique_ptr<PostgresTestDatabase> postgres_;
  std::string url_;
};

}  // namespace hookd::testing
