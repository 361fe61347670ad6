#include <libpq-fe.h>

#include <stdexcept>

#include "support/database_reader.hpp"

namespace hookd::testing {
namespace {

class PostgresReader final : public DatabaseReader {
 public:
  explicit PostgresReader(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string message = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw std::runtime_error("cannot connect to PostgreSQL: " + message);
    }
  }
  ~PostgresReader() override { PQfinish(conn_); }

  PostgresReader(const PostgresReader&) = delete;
  PostgresReader& operator=(const PostgresReader&) = delete;

  std::vector<std::string> rows(const std::string& sql) override {
    PGresult* result = PQexec(conn_, sql.c_str());
    if (PQresultStatus(result) != PGRES_TUPLES_OK) {
      const std::string message = PQerrorMessage(conn_);
      PQclear(result);
      throw std::runtime_error(sql + ": " + message);
    }
    std::vector<std::string> out;
    for (int r = 0; r < PQntuples(result); ++r) {
      std::string row;
      for (int c = 0; c < PQnfields(result); ++c) {
        row += PQgetisnull(result, r, c) ? "NULL" : PQgetvalue(result, r, c);
        row += '|';
      }
      out.push_back(std::move(row));
    }
    PQclear(result);
    return out;
  }

  std::vector<std::string> tables() override {
    return first_column(
        rows("SELECT table_name FROM information_schema.tables"
             " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"));
  }

  std::vector<std::string> columns(const std::string& table) override {
    return first_column(
        rows("SELECT column_name FROM information_schema.columns"
             " WHERE table_schema = 'public' AND table_name = '" +
             table + "' ORDER BY ordinal_position"));
  }

 private:
  static std::vector<std::string> first_column(std::vector<std::string> rows) {
    for (std::string& row : rows) row.pop_back();  // the '|' after the only column
    return rows;
  }

  PGconn* conn_;
};

}  // namespace

std::unique_ptr<DatabaseReader> open_postgres_reader(const std::string& url) {
  return std::make_unique<PostgresReader>(url);
}

}  // namespace hookd::testing
