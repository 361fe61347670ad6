#include "support/database_writer.hpp"

#include <string_view>

#include "store/postgres/connection.hpp"
#include "store/sqlite/connection.hpp"

namespace hookd::testing {

void write_database(const std::string& database_url, const std::string& sql) {
  constexpr std::string_view kSqlite = "sqlite://";
  if (database_url.starts_with(kSqlite)) {
    store::sqlite::Connection c(database_url.substr(kSqlite.size()));
    c.exec(sql.c_str());
  } else {
    store::postgres::Connection c(database_url, {});
    c.exec(sql.c_str());
  }
}

}  // namespace hookd::testing
