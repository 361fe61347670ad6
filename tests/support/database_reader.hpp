#pragma once

#include <memory>
#include <string>
#include <vector>

namespace hookd::testing {

// A read-only look into a test's database, whichever backend holds it.
class DatabaseReader {
 public:
  virtual ~DatabaseReader() = default;
  // The rows of a query; each column is followed by '|' (NULL for nulls).
  virtual std::vector<std::string> rows(const std::string& sql) = 0;
  // The application's tables, by name.
  virtual std::vector<std::string> tables() = 0;
  // A table's columns, in their declared order.
  virtual std::vector<std::string> columns(const std::string& table) = 0;
};

std::unique_ptr<DatabaseReader> open_sqlite_reader(const std::string& path);
std::unique_ptr<DatabaseReader> open_postgres_reader(const std::string& url);

// By the URL's scheme: sqlite://PATH or postgresql://... (postgres://...).
std::unique_ptr<DatabaseReader> open_database_reader(const std::string& database_url);

}  // namespace hookd::testing
