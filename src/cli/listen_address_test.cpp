#include "cli/listen_address.hpp"

#include <gtest/gtest.h>

namespace hookd::cli {
namespace {

TEST(ListenAddress, ParsesHostAndPortForms) {
  EXPECT_EQ(parse_listen_address("127.0.0.1:8080").host, "127.0.0.1");
  EXPECT_EQ(parse_listen_address("127.0.0.1:8080").port, 8080);
  EXPECT_EQ(parse_listen_address("127.0.0.1:0").port, 0);
  EXPECT_EQ(parse_listen_address("[::1]:9000").host, "::1");
  EXPECT_EQ(parse_listen_address(":9000").host, "0.0.0.0");
  EXPECT_THROW(parse_listen_address("8080"), std::invalid_argument);
  EXPECT_THROW(parse_listen_address("host:http"), std::invalid_argument);
  EXPECT_THROW(parse_listen_address("host:70000"), std::invalid_argument);
}

}  // namespace
}  // namespace hookd::cli
