#include "api/route_table.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace hookd::api {
namespace {

Route route(std::string method, std::string pattern) {
  return Route{std::move(method),  std::move(pattern),
               Roles::any_token(), 0,
               Runs::kPool,        [](const RouteCall&) { return http::Response{}; }};
}

TEST(RouteTable, MatchesLiteralsAndParametersByWholeSegment) {
  RouteTable table;
  table.add(route("GET", "/v2/webhooks/{id}/deliveries/{deliveryId}"));
  table.add(route("POST", "/v2/webhooks/{id}/deliveries/{deliveryId}/retry"));
  auto m = table.find("GET", {"v2", "webhooks", "12", "deliveries", "34"});
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.params, (std::vector<std::string>{"12", "34"}));
  // Same path, other method: known (405), no route.
  m = table.find("POST", {"v2", "webhooks", "12", "deliveries", "34"});
  EXPECT_FALSE(m.route);
  EXPECT_TRUE(m.path_known);
  // A parameter is one non-empty segment; literals match exactly.
  EXPECT_FALSE(table.find("GET", {"v2", "webhooks", "", "deliveries", "34"}).path_known);
  EXPECT_FALSE(table.find("GET", {"v2", "webhooks", "12", "deliveriesX", "34"}).path_known);
  EXPECT_FALSE(table.find("GET", {"v2", "webhooks", "12", "deliveries"}).path_known);
}

TEST(RouteTable, ALiteralSegmentWinsOverAParameterWhateverTheOrder) {
  for (bool literal_first : {false, true}) {
    RouteTable table;
    if (literal_first) table.add(route("GET", "/portal/session"));
    table.add(route("GET", "/portal/{file}"));
    if (!literal_first) table.add(route("GET", "/portal/session"));
    auto m = table.find("GET", {"portal", "session"});
    ASSERT_TRUE(m.route);
    EXPECT_EQ(m.route->pattern, "/portal/session");
    EXPECT_TRUE(m.params.empty());
    m = table.find("GET", {"portal", "app.js"});
    ASSERT_TRUE(m.route);
    EXPECT_EQ(m.route->pattern, "/portal/{file}");
    EXPECT_EQ(m.params, (std::vector<std::string>{"app.js"}));
  }
}

TEST(RouteTable, ARouteRegisteredTwiceIsAProgrammingError) {
  RouteTable table;
  table.add(route("GET", "/v2/webhooks/{id}"));
  EXPECT_THROW(table.add(route("GET", "/v2/webhooks/{webhookId}")), std::logic_error);
  EXPECT_NO_THROW(table.add(route("PUT", "/v2/webhooks/{id}")));
  EXPECT_THROW(table.add(route("GET", "v2/webhooks")), std::logic_error);
}

}  // namespace
}  // namespace hookd::api
