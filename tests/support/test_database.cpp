#include "support/test_database.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace hookd::testing {

TestBackend test_backend() {
  const char* name = std::getenv("HOOKD_TEST_BACKEND");
  if (name == nullptr || *name == '\0' || std::string_view(name) == "sqlite") {
    return TestBackend::kSqlite;
  }
  if (std::string_view(name) == "postgres") return TestBackend::kPostgres;
  throw std::runtime_error("HOOKD_TEST_BACKEND must be sqlite or postgres, not " +
                           std::string(name));
}

TestDatabase::TestDatabase() {
  if (test_backend() == TestBackend::kPostgres) {
    postgres_ = std::make_unique<PostgresTestDatabase>();
    url_ = postgres_->url();
  } else {
    url_ = "sqlite://" + dir_.file("hookd.db");
  }
}

TestDatabase::~TestDatabase() = default;

}  // namespace hookd::testing
