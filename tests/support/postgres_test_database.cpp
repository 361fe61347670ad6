#include "support/postgres_test_database.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <stdexcept>

namespace hookd::testing {
namespace {

std::string random_suffix() {
  std::random_device rd;
  std::uniform_int_distribution<int> digit(0, 35);
  std::string s;
  for (int i = 0; i < 12; ++i) {
    const int d = digit(rd);
    s += static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
  }
  return s;
}

}  // namespace

std::optional<std::string> test_postgres_server_url() {
  const char* url = std::getenv("HOOKD_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0') return std::nullopt;
  return std::string(url);
}

std::string with_database(const std::string& url, const std::string& database) {
  const size_t scheme = url.find("://");
  const size_t host_start = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t query = url.find('?', host_start);
  const size_t slash = url.find('/', host_start);
  const std::string rest = query == std::string::npos ? "" : url.substr(query);
  const size_t host_end =
      slash != std::string::npos && (query == std::string::npos || slash < query) ? slash
      : query != std::string::npos                                                ? query
                                                                                  : url.size();
  return url.substr(0, host_end) + "/" + database + rest;
}

void execute_postgres(const std::string& url, const std::string& sql) {
  const std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("cannot connect to PostgreSQL: " +
                             std::string(PQerrorMessage(conn.get())));
  }
  const std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()),
                                                             &PQclear);
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error(sql + ": " + PQerrorMessage(conn.get()));
  }
}

PostgresTestDatabase::PostgresTestDatabase() {
  const std::optional<std::string> server = test_postgres_server_url();
  if (!server) {
    throw std::runtime_error(
        "HOOKD_TEST_POSTGRES_URL is not set: run under scripts/with-postgres.sh");
  }
  server_url_ = *server;
  name_ = "hookd_test_" + random_suffix();
  execute_postgres(server_url_, "CREATE DATABASE " + name_);
  url_ = with_database(server_url_, name_);
}

PostgresTestDatabase::~PostgresTestDatabase() {
  try {
    // FORCE: a connection a killed server or a failed test left open must not keep it alive.
    execute_postgres(server_url_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception& e) {
    std::cerr << "warning: " << e.what();
  }
}

}  // namespace hookd::testing
