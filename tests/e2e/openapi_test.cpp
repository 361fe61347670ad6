// The OpenAPI document as hookd serves it, and a client generated from it driving the server.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "support/hookd_process.hpp"
#include "support/http_client.hpp"
#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"
#include "support/webhook_receiver.hpp"

namespace hookd::testing {
namespace {

using namespace std::chrono_literals;

TEST(Openapi, TheDocumentIsServedAsJsonAndYamlWithoutAToken) {
  HookdServer server;
  HttpClient client(server.base_url());
  const HttpResponse json = client.get("/openapi.json");
  ASSERT_EQ(json.status, 200) << json.status;
  EXPECT_EQ(json.header("Content-Type"), "application/json");
  EXPECT_EQ(json.header("X-Frame-Options"), "SAMEORIGIN");
  const boost::json::value document = json.json();
  EXPECT_EQ(document.at("openapi"), "3.1.0");
  EXPECT_TRUE(document.at("paths").as_object().contains("/v2/webhooks"));
  EXPECT_TRUE(document.at("webhooks").as_object().contains("DeviceTamperEvents"));

  const HttpResponse yaml = client.get("/openapi.yaml");
  ASSERT_EQ(yaml.status, 200) << yaml.status;
  EXPECT_EQ(yaml.header("Content-Type"), "application/yaml");
  EXPECT_TRUE(yaml.body.starts_with("openapi: 3.1.0\n")) << yaml.body.substr(0, 100);

  // A token is not needed, and a bad one changes nothing.
  EXPECT_EQ(
      client.request("GET", "/openapi.json", std::nullopt, {{"Authorization", "Bearer x"}}).status,
      200);
  EXPECT_EQ(client.post("/openapi.json", std::string("{}")).status, 405);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The check of every answer against the document (openapi.AnswersAndDeliveriesMatchTheDocument)
// sees only what the HTTP client logs: the test fails if it logs nothing, or a token.
TEST(Openapi, EveryAnswerIsLoggedForTheCheckAgainstTheDocument) {
  const char* dir = std::getenv("HOOKD_TEST_EXCHANGE_DIR");
  ASSERT_TRUE(dir != nullptr && *dir != '\0')
      << "HOOKD_TEST_EXCHANGE_DIR is not set: run the end-to-end tests through ctest";
  const std::string log = std::string(dir) + "/exchanges-" + std::to_string(::getpid()) + ".jsonl";
  HookdServer server;
  HttpClient client(server.base_url());
  const std::string token = server.create_token("platform");
  const size_t before = read_file(log).size();
  ASSERT_EQ(client.get("/v2/webhooks/424242", token).status, 404);
  const std::string added = read_file(log).substr(before);
  ASSERT_EQ(std::count(added.begin(), added.end(), '\n'), 1) << added;
  const boost::json::value line = boost::json::parse(added);
  EXPECT_EQ(line.at("method"), "GET");
  EXPECT_EQ(line.at("path"), "/v2/webhooks/424242");
  EXPECT_EQ(line.at("status"), 404);
  EXPECT_NE(line.at("body").as_string().find("WebhookNotFound"), std::string::npos);
  EXPECT_EQ(added.find(token), std::string::npos) << "a token was logged";
}

// openapi-typescript generates the client from GET /openapi.json of this server; tsc checks an
// integration against it (tests/e2e/node/typed_client); the integration then creates a
// webhook, reads it back, sends an event and lists the webhook's deliveries through it.
TEST(Openapi, AClientGeneratedFromTheServedDocumentDrivesTheServer) {
  HookdServer server;
  const std::string platform = server.create_token("platform");
  TempDir out;
  const CommandResult result =
      run_command({"node", node_dir() + "/typed_client/run.mjs", "--url", server.base_url(),
                   "--platform-token", platform, "--out", out.path()},
                  {}, 120s);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const boost::json::value summary = boost::json::parse(result.out);
  EXPECT_EQ(summary.at("deliveries"), 1) << result.out;
}

}  // namespace
}  // namespace hookd::testing
