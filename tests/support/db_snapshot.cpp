#include "support/db_snapshot.hpp"

#include <stdexcept>

#include "support/database_reader.hpp"

namespace hookd::testing {

std::unique_ptr<DatabaseReader> open_database_reader(const std::string& database_url) {
  constexpr std::string_view kSqlite = "sqlite://";
  if (database_url.starts_with(kSqlite)) {
    return open_sqlite_reader(database_url.substr(kSqlite.size()));
  }
  if (database_url.starts_with("postgresql://") || database_url.starts_with("postgres://")) {
    return open_postgres_reader(database_url);
  }
  throw std::runtime_error("not a sqlite:// or postgresql:// URL: " + database_url);
}

std::vector<std::string> database_rows(const std::string& database_url, const std::string& sql) {
  return open_database_reader(database_url)->rows(sql);
}

std::string database_snapshot(const std::string& database_url) {
  const std::unique_ptr<DatabaseReader> reader = open_database_reader(database_url);
  std::string snapshot;
  for (const std::string& table : reader->tables()) {
    std::string order;
    for (const std::string& column : reader->columns(table)) {
      order += (order.empty() ? "\"" : ", \"") + column + "\"";
    }
    snapshot += "## " + table + "\n";
    for (const std::string& row :
         reader->rows("SELECT * FROM \"" + table + "\" ORDER BY " + order)) {
      snapshot += row + "\n";
    }
  }
  return snapshot;
}

}  // namespace hookd::testing
