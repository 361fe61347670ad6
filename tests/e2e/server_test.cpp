// The server as operators meet it: health, routing errors, HTTPS, shutdown, the command line.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <fstream>
#include <set>

#include "support/db_snapshot.hpp"
#include "support/hookd_process.hpp"
#include "support/http_client.hpp"
#include "support/test_ca.hpp"
#include "support/test_database.hpp"

namespace hookd::testing {
namespace {

TEST(Server, HealthAndReadinessNeedNoToken) {
  HookdServer server;
  HttpClient client(server.base_url());
  auto health = client.get("/healthz");
  EXPECT_EQ(health.status, 200) << health;
  EXPECT_EQ(health.json().at("status"), "ok");
  auto ready = client.get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready;
}

TEST(Server, UnknownRoutesAndMethodsGetTheErrorBody) {
  HookdServer server;
  HttpClient client(server.base_url());
  auto missing = client.get("/v3/anything");
  EXPECT_EQ(missing.status, 404) << missing;
  EXPECT_EQ(missing.json().at("code"), "NotFound");
  EXPECT_EQ(missing.json().at("errorCode"), "NotFound");
  auto wrong_method = client.request("PATCH", "/v2/webhooks/1", std::string("{}"));
  EXPECT_EQ(wrong_method.status, 405) << wrong_method;
  EXPECT_EQ(wrong_method.json().at("code"), "MethodNotAllowed");
}

TEST(Server, KeepAliveServesManyRequestsOnOneConnection) {
  HookdServer server;
  HttpClient client(server.base_url());
  for (int i = 0; i < 50; ++i) {
    auto r = client.get("/healthz");
    ASSERT_EQ(r.status, 200) << r;
    EXPECT_FALSE(r.header("Connection") == "close");
  }
}

TEST(Server, SigtermStopsGracefullyWithExitCodeZero) {
  HookdServer server;
  HttpClient client(server.base_url());
  ASSERT_EQ(client.get("/healthz").status, 200);
  EXPECT_EQ(server.stop(), 0);
  EXPECT_NE(server.process().stderr_text().find("\"msg\":\"stopped\""), std::string::npos);
}

TEST(Server, ServesHttpsWhenGivenACertificate) {
  TempDir dir;
  const TestCertificates certs = make_test_certificates(dir.path());
  HookdServer server(HookdOptions{.config_toml = "tls_cert = \"" + certs.server_cert +
                                                 "\"\ntls_key = \"" + certs.server_key + "\"\n"});
  ASSERT_EQ(server.base_url().rfind("https://", 0), 0u) << server.base_url();
  HttpClient client(server.base_url());
  client.set_ca_file(certs.ca_cert);
  auto r = client.get("/healthz");
  EXPECT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.header("Strict-Transport-Security"), "max-age=31536000; includeSubDomains");
}

TEST(Server, MigrationsAreIdempotentAndKeepData) {
  HookdServer server;
  const std::string token = server.create_token("platform");
  HttpClient client(server.base_url());
  ASSERT_EQ(client.put("/v2/platform/organizations/1", R"({"name":"a"})", token).status, 200);
  server.stop();
  const std::string before = database_snapshot(server.database_url());
  auto migrate = run_hookd({"migrate", "--database", server.database_url()});
  EXPECT_EQ(migrate.exit_code, 0) << migrate.err;
  EXPECT_EQ(database_snapshot(server.database_url()), before);
  server.start();
  HttpClient again(server.base_url());
  EXPECT_EQ(again.put("/v2/platform/organizations/1", R"({"name":"b"})", token).status, 200);
}

TEST(Cli, VersionAndUsageErrors) {
  auto version = run_hookd({"version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("hookd ", 0), 0u) << version.out;
  EXPECT_NE(run_hookd({"no-such-command"}).exit_code, 0);
  const TestDatabase database;
  auto bad_role = run_hookd({"token", "create", "--role", "owner", "--database", database.url()});
  EXPECT_NE(bad_role.exit_code, 0);
  auto admin_without_org =
      run_hookd({"token", "create", "--role", "admin", "--database", database.url()});
  EXPECT_NE(admin_without_org.exit_code, 0);
  auto bad_database = run_hookd({"migrate", "--database", "mysql://nope"});
  EXPECT_NE(bad_database.exit_code, 0);
}

TEST(Cli, InvalidConfigurationIsRefusedAtStart) {
  TempDir dir;
  const TestDatabase database;
  const std::string config = dir.file("bad.toml");
  { std::ofstream(config) << "[delivery]\nallow_targets = [\"not-a-cidr\"]\n"; }
  auto r = run_hookd(
      {"serve", "--listen", "127.0.0.1:0", "--config", config, "--database", database.url()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("allow_targets"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace hookd::testing

namespace hookd::testing {
namespace {

TEST(Logs, AreJsonLinesWithARequestIdAndNeverATokenOrSecret) {
  HookdOptions options;
  options.env = {{"HOOKD_LOG_LEVEL", "debug"}};
  HookdServer server(options);
  const std::string token = server.create_token("platform");
  HttpClient client(server.base_url());
  ASSERT_EQ(client.put("/v2/platform/organizations/6", R"({"name":"a"})", token).status, 200);
  auto created = client.post("/v2/webhooks",
                             R"({"organizationId":6,"webhookUrl":"https://example.com/h",)"
                             R"("topics":["DeviceStatusEvents"],"secretHttp":"PoWJFA11inptkbGz"})",
                             token);
  ASSERT_EQ(created.status, 200) << created;
  const std::string secret(created.json().at("secretHmac").as_string());
  ASSERT_EQ(client.get("/v2/webhooks/999", token).status, 404);
  ASSERT_TRUE(server.process().wait_for_stderr_line(
      [](std::string_view l) { return l.find("\"status\":404") != std::string_view::npos; },
      std::chrono::seconds(10), nullptr));
  server.stop();

  const std::string log = server.process().stderr_text();
  size_t requests = 0;
  size_t pos = 0;
  std::set<std::string> ids;
  while (pos < log.size()) {
    const size_t nl = log.find('\n', pos);
    const std::string line = log.substr(pos, nl - pos);
    pos = nl == std::string::npos ? log.size() : nl + 1;
    if (line.empty()) continue;
    boost::system::error_code ec;
    const auto v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << "not JSON: " << line;
    EXPECT_TRUE(v.as_object().contains("time") && v.as_object().contains("level")) << line;
    if (v.at("msg") == "request") {
      ++requests;
      ids.insert(std::string(v.at("request_id").as_string()));
      EXPECT_TRUE(v.as_object().contains("method") && v.as_object().contains("path") &&
                  v.as_object().contains("status") && v.as_object().contains("duration_us"))
          << line;
    }
  }
  EXPECT_EQ(requests, 3u);
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(log.find(token), std::string::npos);
  EXPECT_EQ(log.find(secret), std::string::npos);
  EXPECT_EQ(log.find("PoWJFA11inptkbGz"), std::string::npos);
}

}  // namespace
}  // namespace hookd::testing
