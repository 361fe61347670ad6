// The OpenAPI document as hookd serves it, and a client generated from it driving the server.
#include <gtest/gtest.h>

#include <boost/json.hpp>

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
