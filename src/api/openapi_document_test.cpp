#include "api/openapi_document.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <set>

#include "api/router.hpp"
#include "security/destination_guard.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"

namespace hookd::api {
namespace {

// "GET /v2/webhooks/{id}": a route of the server or an operation of the document.
using Operations = std::set<std::string>;

const boost::json::object& document() {
  static const boost::json::value parsed = boost::json::parse(openapi_document::json());
  return parsed.as_object();
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

// OPTIONS is answered on every path by the router itself, so the table holds none; the
// document lists it on every path (checked below) and it is left out here.
Operations documented_operations() {
  static const std::set<std::string_view> kMethods{"get", "put", "post", "delete", "head", "patch"};
  Operations out;
  for (const auto& [path, item] : document().at("paths").as_object()) {
    for (const auto& [key, operation] : item.as_object()) {
      if (kMethods.contains(key)) out.insert(upper(key) + " " + std::string(path));
    }
  }
  return out;
}

// What the router knows of each route, read from a router over a throwaway store.
struct RouteFacts {
  std::string method;
  std::string pattern;
  bool needs_token;
  bool takes_body;
};

std::vector<RouteFacts> server_routes() {
  testing::TempDir dir;
  auto store = store::open_store("sqlite://" + dir.file("hookd.db"));
  store->migrate();
  SystemClock clock;
  security::DestinationGuard guard;
  Router router(ApiContext{*store, clock, guard});
  std::vector<RouteFacts> out;
  for (const Route& route : router.routes().routes()) {
    out.push_back({route.method, route.pattern, route.roles.needs_token(), route.body_limit > 0});
  }
  router.stop();
  return out;
}

std::string missing(const Operations& from, const Operations& in) {
  std::string out;
  for (const auto& op : from) {
    if (!in.contains(op)) out += "  " + op + "\n";
  }
  return out;
}

TEST(OpenapiDocument, ListsEveryRouteOfTheServerAndNoOther) {
  Operations routes;
  for (const RouteFacts& route : server_routes()) routes.insert(route.method + " " + route.pattern);
  const Operations documented = documented_operations();
  ASSERT_FALSE(routes.empty());
  EXPECT_EQ(missing(routes, documented), "")
      << "routes of the server that openapi/hookd.yaml does not document";
  EXPECT_EQ(missing(documented, routes), "")
      << "operations of openapi/hookd.yaml that the server does not have";
}

// What the router judges from the route table alone must read the same in the document: a
// route without a token has `security: []`, one with a token lists token roles; a route that
// takes no body (body_limit 0) has no requestBody, and the others have one.
TEST(OpenapiDocument, SaysWhichRoutesNeedATokenAndWhichTakeABody) {
  const auto& paths = document().at("paths").as_object();
  for (const RouteFacts& route : server_routes()) {
    SCOPED_TRACE(route.method + " " + route.pattern);
    std::string method = route.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto* item = paths.if_contains(route.pattern);
    ASSERT_NE(item, nullptr);
    const auto* operation = item->as_object().if_contains(method);
    ASSERT_NE(operation, nullptr);
    const auto& op = operation->as_object();
    // Without its own `security`, an operation has the document's: a token of any role.
    const bool public_in_document = op.contains("security") && op.at("security").as_array().empty();
    EXPECT_EQ(public_in_document, !route.needs_token);
    EXPECT_EQ(op.contains("requestBody"), route.takes_body);
  }
}

TEST(OpenapiDocument, DocumentsThePreflightOnEveryPath) {
  for (const auto& [path, item] : document().at("paths").as_object()) {
    EXPECT_TRUE(item.as_object().contains("options")) << path;
  }
}

TEST(OpenapiDocument, IsOpenapi31WithTheFourTopicsAndTheTestEventUnderWebhooks) {
  EXPECT_EQ(document().at("openapi").as_string(), "3.1.0");
  const auto& webhooks = document().at("webhooks").as_object();
  for (const char* topic : {"DeviceActivationEvents", "DeviceDeactivationEvents",
                            "DeviceStatusEvents", "DeviceTamperEvents", "WebhookTestEvents"}) {
    EXPECT_TRUE(webhooks.contains(topic)) << topic;
  }
  EXPECT_EQ(webhooks.size(), 5u);
}

TEST(OpenapiDocument, EmbedsTheYamlSourceBesideTheJson) {
  EXPECT_TRUE(openapi_document::yaml().starts_with("openapi: 3.1.0\n"));
  EXPECT_NE(openapi_document::yaml().find("\nwebhooks:\n"), std::string_view::npos);
}

}  // namespace
}  // namespace hookd::api
