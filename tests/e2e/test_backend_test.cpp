// The suite runs on the backend HOOKD_TEST_BACKEND names (CTest runs it on both): each server
// gets a fresh database of that backend, which the tests read, and which is gone afterwards.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/db_snapshot.hpp"
#include "support/hookd_process.hpp"
#include "support/http_client.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_database.hpp"

namespace hookd::testing {
namespace {

bool is_postgres_url(const std::string& url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

// The database name at the end of a postgresql:// URL without query parameters.
std::string postgres_database_name(const std::string& url) {
  return url.substr(url.rfind('/') + 1);
}

TEST(TestBackend, EachServerRunsOnAFreshDatabaseOfTheBackendTheRunNames) {
  HookdServer server;
  HookdServer other;
  EXPECT_NE(server.database_url(), other.database_url());
  if (test_backend() == TestBackend::kPostgres) {
    EXPECT_TRUE(is_postgres_url(server.database_url())) << server.database_url();
  } else {
    EXPECT_TRUE(server.database_url().starts_with("sqlite://")) << server.database_url();
  }
  EXPECT_EQ(database_rows(server.database_url(), "SELECT count(*) FROM organizations"),
            std::vector<std::string>{"0|"});

  // What the server writes, the state reads see.
  const std::string before = database_snapshot(server.database_url());
  HttpClient client(server.base_url());
  const std::string token = server.create_token("platform");
  ASSERT_EQ(client.put("/v2/platform/organizations/6", R"({"name":"a"})", token).status, 200);
  EXPECT_EQ(database_rows(server.database_url(), "SELECT id, name FROM organizations"),
            std::vector<std::string>{"6|a|"});
  const std::string after = database_snapshot(server.database_url());
  EXPECT_NE(after, before);
  EXPECT_NE(after.find("6|a|"), std::string::npos) << after;
  EXPECT_EQ(database_snapshot(server.database_url()), after);
}

TEST(TestBackend, AServersDatabaseIsGoneWithIt) {
  std::string url;
  {
    HookdServer server;
    url = server.database_url();
  }
  if (test_backend() == TestBackend::kPostgres) {
    const std::optional<std::string> postgres = test_postgres_server_url();
    ASSERT_TRUE(postgres);
    EXPECT_EQ(database_rows(*postgres, "SELECT count(*) FROM pg_database WHERE datname = '" +
                                           postgres_database_name(url) + "'"),
              std::vector<std::string>{"0|"});
  } else {
    EXPECT_FALSE(std::filesystem::exists(url.substr(std::string_view("sqlite://").size())));
  }
}

TEST(TestBackend, AServerGivenADatabaseSharesIt) {
  HookdServer first;
  HookdOptions options;
  options.database_url = first.database_url();
  HookdServer second(options);
  EXPECT_EQ(second.database_url(), first.database_url());
  const std::string token = first.create_token("platform");
  HttpClient client(second.base_url());
  ASSERT_EQ(client.put("/v2/platform/organizations/6", R"({"name":"a"})", token).status, 200);
}

}  // namespace
}  // namespace hookd::testing
