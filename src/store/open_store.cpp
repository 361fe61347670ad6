#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace hookd::store {

std::unique_ptr<Store> open_store(const std::string& url, const StoreOptions& options) {
  constexpr std::string_view kSqlite = "sqlite://";
  if (url.starts_with(kSqlite)) {
    std::string path = url.substr(kSqlite.size());
    if (path.empty()) throw StoreError("database URL sqlite:// needs a file path");
    return std::make_unique<sqlite::SqliteStore>(path, sqlite::SqliteStore::default_clock(), 8,
                                                 options);
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    // libpq takes the URL as it is (both schemes, query parameters such as sslmode).
    return std::make_unique<postgres::PostgresStore>(url, postgres::PostgresStore::default_clock(),
                                                     postgres::PoolOptions{}, options);
  }
  // The URL itself is not echoed: it may carry a password.
  throw StoreError("unsupported database URL: expected sqlite://PATH or postgresql://...");
}

}  // namespace hookd::store
