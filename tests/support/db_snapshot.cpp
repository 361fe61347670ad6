#include "support/db_snapshot.hpp"

#include <sqlite3.h>

#include <stdexcept>
#include <vector>

namespace hookd::testing {

namespace {

sqlite3* open_read_only(const std::string& database_url) {
  const std::string prefix = "sqlite://";
  if (database_url.rfind(prefix, 0) != 0) throw std::runtime_error("not a sqlite URL");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(database_url.substr(prefix.size()).c_str(), &db, SQLITE_OPEN_READONLY,
                      nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open database");
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

std::vector<std::string> query(sqlite3* db, const std::string& sql) {
  std::vector<std::string> out;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    throw std::runtime_error(sqlite3_errmsg(db));
  }
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const auto* text = sqlite3_column_text(stmt, i);
      row += text ? reinterpret_cast<const char*>(text) : "NULL";
      row += '|';
    }
    out.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  return out;
}

}  // namespace

std::vector<std::string> sqlite_rows(const std::string& database_url, const std::string& sql) {
  sqlite3* db = open_read_only(database_url);
  try {
    auto out = query(db, sql);
    sqlite3_close(db);
    return out;
  } catch (...) {
    sqlite3_close(db);
    throw;
  }
}

std::string sqlite_snapshot(const std::string& database_url) {
  sqlite3* db = open_read_only(database_url);
  auto rows = [db](const std::string& sql) { return query(db, sql); };
  std::string snapshot;
  for (const std::string& table :
       rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")) {
    const std::string name = table.substr(0, table.size() - 1);
    snapshot += "## " + name + "\n";
    for (const std::string& row : rows("SELECT * FROM \"" + name + "\" ORDER BY 1, 2")) {
      snapshot += row + "\n";
    }
  }
  sqlite3_close(db);
  return snapshot;
}

}  // namespace hookd::testing
