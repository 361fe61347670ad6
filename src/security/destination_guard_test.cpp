#include "security/destination_guard.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace hookd::security {
namespace {

IpAddress must_parse(std::string_view text) {
  auto address = IpAddress::parse(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address.value_or(IpAddress());
}

Cidr must_parse_cidr(std::string_view text) {
  auto cidr = Cidr::parse(text);
  EXPECT_TRUE(cidr.has_value()) << text;
  return cidr.value_or(Cidr(IpAddress(), 32));
}

// Every spelling of a non-public destination the default guard must refuse.
constexpr const char* kRefused[] = {
    "127.0.0.1",
    "127.1",
    "0x7f000001",
    "2130706433",
    "0177.0.0.1",
    "0x7f.0.0.1",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "[fc00::1]",
    "[fd00:ec2::254]",
    "[fe80::1]",
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "[::]",
    "[64:ff9b::7f00:1]",
    "0",
    "[::127.0.0.1]",
    "[fec0::1]",
    "[ff02::1]",
    "[2001:db8::1]",
    "198.18.0.1",
    "192.0.2.1",
    "[::ffff:169.254.169.254]",
    // Azure WireServer on public space, in legacy spellings too.
    "168.63.129.16",
    "0xa83f8110",
    "2822734096",
    "[::ffff:168.63.129.16]",
    "100.100.100.200",
    "192.0.0.192",
};

constexpr const char* kPublic[] = {
    "8.8.8.8",    "1.1.1.1",   "[2606:4700:4700::1111]", "172.32.0.1", "[::ffff:8.8.8.8]",
    "0x08080808", "134744072",
};

TEST(DestinationGuardTest, RefusesNonPublicAddressesByDefault) {
  const DestinationGuard guard;
  for (const char* text : kRefused) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(guard.allows(must_parse(text)));
  }
}

TEST(DestinationGuardTest, AllowsPublicAddresses) {
  const DestinationGuard guard;
  for (const char* text : kPublic) {
    SCOPED_TRACE(text);
    EXPECT_TRUE(guard.allows(must_parse(text)));
  }
}

TEST(DestinationGuardTest, AllowTargetsLetOnlyTheirRangeThrough) {
  const DestinationGuard guard({must_parse_cidr("127.0.0.1/32")});
  ASSERT_EQ(guard.allow_targets().size(), 1u);
  EXPECT_EQ(guard.allow_targets()[0].to_string(), "127.0.0.1/32");

  EXPECT_TRUE(guard.allows(must_parse("127.0.0.1")));
  EXPECT_TRUE(guard.allows(must_parse("127.1")));
  EXPECT_TRUE(guard.allows(must_parse("::ffff:127.0.0.1")));
  EXPECT_TRUE(guard.allows(must_parse("8.8.8.8")));
  EXPECT_FALSE(guard.allows(must_parse("127.0.0.2")));
  EXPECT_FALSE(guard.allows(must_parse("::1")));
  EXPECT_FALSE(guard.allows(must_parse("10.0.0.1")));
  EXPECT_FALSE(guard.allows(must_parse("169.254.169.254")));
}

TEST(DestinationGuardTest, AllowTargetsCoverIpv6Ranges) {
  const DestinationGuard guard({must_parse_cidr("::1/128"), must_parse_cidr("fd00::/8")});
  EXPECT_TRUE(guard.allows(must_parse("::1")));
  EXPECT_TRUE(guard.allows(must_parse("fd12::3")));
  EXPECT_FALSE(guard.allows(must_parse("fc00::1")));
  EXPECT_FALSE(guard.allows(must_parse("127.0.0.1")));
}

TEST(DestinationGuardTest, AllowsAllNeedsEveryAddressAndAtLeastOne) {
  const DestinationGuard guard;
  EXPECT_FALSE(guard.allows_all({}));
  EXPECT_TRUE(guard.allows_all({must_parse("8.8.8.8"), must_parse("2606:4700:4700::1111")}));
  EXPECT_FALSE(guard.allows_all({must_parse("8.8.8.8"), must_parse("10.0.0.1")}));
  EXPECT_FALSE(guard.allows_all({must_parse("::1")}));

  const DestinationGuard loopback_v4({must_parse_cidr("127.0.0.0/8")});
  EXPECT_TRUE(loopback_v4.allows_all({must_parse("127.0.0.1"), must_parse("8.8.8.8")}));
  EXPECT_FALSE(loopback_v4.allows_all({must_parse("127.0.0.1"), must_parse("::1")}));
}

}  // namespace
}  // namespace hookd::security
