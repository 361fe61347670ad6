#include <sqlite3.h>

#include <stdexcept>

#include "support/database_reader.hpp"

namespace hookd::testing {
namespace {

class SqliteReader final : public DatabaseReader {
 public:
  explicit SqliteReader(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error("cannot open " + path + ": " + message);
    }
    // The server may be writing; its transactions are short.
    sqlite3_busy_timeout(db_, 5000);
  }
  ~SqliteReader() override { sqlite3_close(db_); }

  SqliteReader(const SqliteReader&) = delete;
  SqliteReader& operator=(const SqliteReader&) = delete;

  std::vector<std::string> rows(const std::string& sql) override {
    std::vector<std::string> out;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    }
    int step = SQLITE_ROW;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        const auto* text = sqlite3_column_text(stmt, i);
        row += text ? reinterpret_cast<const char*>(text) : "NULL";
        row += '|';
      }
      out.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    if (step != SQLITE_DONE) throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    return out;
  }

  std::vector<std::string> tables() override {
    return first_column(
        rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
             "ORDER BY name"));
  }

  std::vector<std::string> columns(const std::string& table) override {
    return first_column(rows("SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid"));
  }

 private:
  static std::vector<std::string> first_column(std::vector<std::string> rows) {
    for (std::string& row : rows) row.pop_back();  // the '|' after the only column
    return rows;
  }

  sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<DatabaseReader> open_sqlite_reader(const std::string& path) {
  return std::make_unique<SqliteReader>(path);
}

}  // namespace hookd::testing
