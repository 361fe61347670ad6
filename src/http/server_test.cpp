#include "http/server.hpp"

#include <gtest/gtest.h>

namespace hookd::http {
namespace {

TEST(ClampMaxConnections, KeepsTheReserveBelowTheDescriptorLimit) {
  EXPECT_EQ(clamp_max_connections(10'000, 1'048'576, 576), 10'000u);
  EXPECT_EQ(clamp_max_connections(10'000, 1024, 576), 448u);
  EXPECT_EQ(clamp_max_connections(10, 1024, 576), 10u);
  // A limit below the reserve still serves one connection rather than none.
  EXPECT_EQ(clamp_max_connections(10'000, 256, 576), 1u);
  EXPECT_EQ(clamp_max_connections(10'000, 576, 576), 1u);
}

}  // namespace
}  // namespace hookd::http
