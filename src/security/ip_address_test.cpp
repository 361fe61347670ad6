#include "security/ip_address.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>
#include <vector>

namespace hookd::security {
namespace {

IpAddress must_parse(std::string_view text) {
  auto address = IpAddress::parse(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address.value_or(IpAddress());
}

TEST(IpAddressTest, ParsesEveryLegacySpellingOfLoopback) {
  for (const char* text :
       {"127.0.0.1", "127.1", "127.0.1", "0x7f000001", "0X7F000001", "2130706433", "0177.0.0.1",
        "0x7f.0.0.1", "0x7f.1", "017700000001", "127.0.0.1."}) {
    SCOPED_TRACE(text);
    const auto address = IpAddress::parse(text);
    ASSERT_TRUE(address.has_value());
    EXPECT_TRUE(address->is_v4());
    EXPECT_EQ(address->to_string(), "127.0.0.1");
    EXPECT_EQ(address->v4_value(), 0x7f000001u);
  }
}

TEST(IpAddressTest, ParsesIpv6BareAndBracketed) {
  EXPECT_EQ(must_parse("::1").to_string(), "::1");
  EXPECT_EQ(must_parse("[::1]").to_string(), "::1");
  EXPECT_TRUE(must_parse("[::1]").is_v6());
  EXPECT_EQ(must_parse("[::ffff:127.0.0.1]").to_string(), "::ffff:127.0.0.1");
  EXPECT_EQ(must_parse("[::ffff:7f00:1]").to_string(), "::ffff:127.0.0.1");
  EXPECT_EQ(must_parse("2606:4700:4700::1111").bytes().size(), 16u);
  EXPECT_EQ(must_parse("8.8.8.8").bytes().size(), 4u);
}

TEST(IpAddressTest, RejectsMalformedText) {
  for (const char* text : {"",
                           " 127.0.0.1",
                           "127.0.0.1 ",
                           "127.0.0.1 junk",
                           "127.0.0.1\t",
                           "1.2.3.4.5",
                           "256.0.0.1",
                           "1.2.3.256",
                           "08.0.0.1",
                           "0x",
                           "0x100000000",
                           "4294967296",
                           "1..2",
                           ".1",
                           "1.2.3.4..",
                           ".",
                           "abc",
                           "example.com",
                           "+1.2.3.4",
                           "-1",
                           "[127.0.0.1]",
                           "[::1",
                           "::1]",
                           "[]",
                           "[",
                           "fe80::1%eth0",
                           "[fe80::1%25eth0]",
                           ":::",
                           "1:2:3:4:5:6:7:8:9",
                           "::g"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(IpAddress::parse(text).has_value());
  }
  // An embedded NUL would end the string inet_aton sees.
  EXPECT_FALSE(IpAddress::parse(std::string_view("127.0.0.1\0x", 11)).has_value());
}

TEST(IpAddressTest, ParseStrictRefusesLegacySpellings) {
  EXPECT_EQ(IpAddress::parse_strict("10.0.0.1")->to_string(), "10.0.0.1");
  EXPECT_EQ(IpAddress::parse_strict("::1")->to_string(), "::1");
  for (const char* text :
       {"127.1", "0x7f000001", "2130706433", "010.0.0.1", "10", "[::1]", "", "10.0.0.1."}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(IpAddress::parse_strict(text).has_value());
  }
}

// Found by fuzz/ip_address_fuzzer: inet_pton stopped at the NUL and took "8.8.8.8\0junk".
TEST(IpAddressTest, RefusesTextWithNul) {
  using namespace std::string_view_literals;
  EXPECT_FALSE(IpAddress::parse_strict("8.8.8.8\0 9"sv));
  EXPECT_FALSE(IpAddress::parse_strict("::1\0junk"sv));
  EXPECT_FALSE(IpAddress::parse("::1\0junk"sv));
  EXPECT_FALSE(IpAddress::parse("[::1\0]"sv));
  EXPECT_FALSE(Cidr::parse("10.0.0.0\0/8"sv));
}

TEST(IpAddressTest, FormatsIpv6Canonically) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
      {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      {"::", "::"},
      {"1::", "1::"},
      {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},
      {"::7f00:1", "::7f00:1"},
      {"64:ff9b::127.0.0.1", "64:ff9b::7f00:1"},
      {"fe80::1", "fe80::1"},
  };
  for (const auto& [input, expected] : cases) {
    SCOPED_TRACE(input);
    EXPECT_EQ(must_parse(input).to_string(), expected);
  }
}

TEST(IpAddressTest, FindsEmbeddedIpv4) {
  EXPECT_EQ(must_parse("::ffff:127.0.0.1").embedded_v4(), must_parse("127.0.0.1"));
  EXPECT_EQ(must_parse("::ffff:127.0.0.1").mapped_v4(), must_parse("127.0.0.1"));
  EXPECT_EQ(must_parse("::10.0.0.1").embedded_v4(), must_parse("10.0.0.1"));
  EXPECT_EQ(must_parse("64:ff9b::7f00:1").embedded_v4(), must_parse("127.0.0.1"));
  EXPECT_FALSE(must_parse("::10.0.0.1").mapped_v4().has_value());
  EXPECT_FALSE(must_parse("64:ff9b::7f00:1").mapped_v4().has_value());
  for (const char* text :
       {"::", "::1", "2001:db8::1", "64:ff9b:1::7f00:1", "::ffff:0:7f00:1", "127.0.0.1"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(must_parse(text).embedded_v4().has_value());
  }
}

TEST(IpAddressTest, ConvertsToMappedIpv6) {
  EXPECT_EQ(must_parse("1.2.3.4").to_v6(), must_parse("::ffff:1.2.3.4"));
  EXPECT_EQ(must_parse("::1").to_v6(), must_parse("::1"));
  EXPECT_NE(must_parse("1.2.3.4"), must_parse("::ffff:1.2.3.4"));
}

TEST(IpAddressTest, ReadsSocketAddresses) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_addr.s_addr = htonl(0x0a000001);
  EXPECT_EQ(IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&v4)),
            must_parse("10.0.0.1"));

  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_addr = in6addr_loopback;
  EXPECT_EQ(IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&v6)), must_parse("::1"));

  sockaddr other{};
  other.sa_family = AF_UNIX;
  EXPECT_FALSE(IpAddress::from_sockaddr(&other).has_value());
  EXPECT_FALSE(IpAddress::from_sockaddr(nullptr).has_value());
}

TEST(CidrTest, ParsesRangesAndBareAddresses) {
  const auto private10 = Cidr::parse("10.0.0.0/8");
  ASSERT_TRUE(private10.has_value());
  EXPECT_EQ(private10->to_string(), "10.0.0.0/8");
  EXPECT_TRUE(private10->contains(must_parse("10.255.0.1")));
  EXPECT_FALSE(private10->contains(must_parse("11.0.0.0")));

  EXPECT_EQ(Cidr::parse("::1/128")->to_string(), "::1/128");
  EXPECT_EQ(Cidr::parse("192.168.1.1")->to_string(), "192.168.1.1/32");
  EXPECT_EQ(Cidr::parse("::1")->to_string(), "::1/128");
  EXPECT_EQ(Cidr::parse("10.1.2.3/8")->to_string(), "10.0.0.0/8");
  EXPECT_EQ(Cidr::parse("172.16.0.0/12")->to_string(), "172.16.0.0/12");
  EXPECT_EQ(Cidr::parse("fd00::1/7")->to_string(), "fc00::/7");
  EXPECT_EQ(Cidr::parse("0.0.0.0/0")->prefix_length(), 0);
}

TEST(CidrTest, RejectsMalformedRanges) {
  for (const char* text : {"", "/8", "10/8", "127.1/32", "10.0.0.0/", "10.0.0.0/33", "::/129",
                           "10.0.0.0/+8", "10.0.0.0/-1", "10.0.0.0/8x", "10.0.0.0/8/8",
                           "10.0.0.0/0008", "[::1]/128", "10.0.0.0 /8"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(Cidr::parse(text).has_value());
  }
}

TEST(CidrTest, ComparesOnlyThePrefixBits) {
  const Cidr cgnat = *Cidr::parse("100.64.0.0/10");
  EXPECT_TRUE(cgnat.contains(must_parse("100.64.0.1")));
  EXPECT_TRUE(cgnat.contains(must_parse("100.127.255.255")));
  EXPECT_FALSE(cgnat.contains(must_parse("100.128.0.0")));
  EXPECT_FALSE(cgnat.contains(must_parse("100.63.255.255")));

  const Cidr everything = *Cidr::parse("0.0.0.0/0");
  EXPECT_TRUE(everything.contains(must_parse("255.255.255.255")));
  EXPECT_FALSE(everything.contains(must_parse("2001:db8::1")));

  const Cidr ula = *Cidr::parse("fc00::/7");
  EXPECT_TRUE(ula.contains(must_parse("fd00:ec2::254")));
  EXPECT_FALSE(ula.contains(must_parse("fe00::1")));
  EXPECT_FALSE(ula.contains(must_parse("10.0.0.1")));
}

TEST(CidrTest, Ipv4RangeMatchesMappedIpv6) {
  const Cidr loopback = *Cidr::parse("127.0.0.0/8");
  EXPECT_TRUE(loopback.contains(must_parse("::ffff:127.0.0.1")));
  EXPECT_TRUE(loopback.contains(must_parse("[::ffff:7f00:1]")));
  // Only the mapped form reaches the IPv4 host directly through a dual-stack socket.
  EXPECT_FALSE(loopback.contains(must_parse("::127.0.0.1")));
  EXPECT_FALSE(loopback.contains(must_parse("64:ff9b::7f00:1")));
  EXPECT_FALSE(loopback.contains(must_parse("::1")));

  const Cidr mapped = *Cidr::parse("::ffff:0:0/96");
  EXPECT_TRUE(mapped.contains(must_parse("1.2.3.4")));
}

TEST(IsPublicAddressTest, RefusesSpecialPurposeIpv4) {
  for (const char* text :
       {"0.0.0.0",         "0.255.255.255",   "10.0.0.1",        "100.64.0.1",  "100.127.255.254",
        "127.0.0.1",       "127.255.255.255", "169.254.169.254", "169.254.0.1", "172.16.0.1",
        "172.31.255.255",  "192.0.0.8",       "192.0.2.1",       "192.88.99.1", "192.168.1.1",
        "198.18.0.1",      "198.19.255.255",  "198.51.100.7",    "203.0.113.9", "224.0.0.1",
        "239.255.255.250", "240.0.0.1",       "255.255.255.255"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(is_public_address(must_parse(text)));
  }
}

TEST(IsPublicAddressTest, RefusesNonGlobalIpv6) {
  for (const char* text : {"::",
                           "::1",
                           "fc00::1",
                           "fd00:ec2::254",
                           "fe80::1",
                           "febf::1",
                           "fec0::1",
                           "ff02::1",
                           "100::1",
                           "2001::1",
                           "2001:1ff::1",
                           "2001:db8::1",
                           "2002:808:808::1",
                           "3fff::1",
                           "3fff:fff::1",
                           "4000::1",
                           "::ffff:127.0.0.1",
                           "::ffff:10.0.0.1",
                           "::169.254.169.254",
                           "64:ff9b::7f00:1",
                           "64:ff9b::a9fe:a9fe",
                           "::ffff:0:8.8.8.8",
                           "64:ff9b:1::8.8.8.8"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(is_public_address(must_parse(text)));
  }
}

// Every well-known cloud metadata and host-local service address, in every form that reaches it.
TEST(IsPublicAddressTest, RefusesCloudMetadataAndHostLocalServices) {
  for (const char* text : {
           "169.254.169.254",  // AWS, Azure, GCP (metadata.google.internal), Oracle, DigitalOcean
           "169.254.169.253",  // AWS DNS
           "169.254.169.123",  // AWS time
           "169.254.0.23",     // Tencent Cloud metadata
           "169.254.42.42",    // Scaleway metadata
           "100.100.100.200",  // Alibaba Cloud metadata
           "100.100.2.136",    // Alibaba Cloud DNS
           "192.0.0.192",      // Oracle Cloud metadata
           "168.63.129.16",    // Azure WireServer, on public space
           "::ffff:168.63.129.16",
           "64:ff9b::a83f:8110",  // 168.63.129.16 through NAT64
           "::168.63.129.16",
           "fd00:ec2::254",       // AWS IMDS over IPv6
           "fd00:ec2::253",       // AWS DNS over IPv6
           "fd20:ce::254",        // GCP metadata over IPv6
           "fd00:c1::a9fe:a9fe",  // Oracle Cloud metadata over IPv6
           "fd00:a9fe:a9fe::1",   // Akamai (Linode) metadata
           "fd00:42::42",         // Scaleway metadata over IPv6
       }) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(is_public_address(must_parse(text)));
  }
  // Only the one address: Azure's neighbours on 168.63.0.0/16 are ordinary public hosts.
  EXPECT_TRUE(is_public_address(must_parse("168.63.129.15")));
  EXPECT_TRUE(is_public_address(must_parse("168.63.129.17")));
}

TEST(IsPublicAddressTest, AllowsGlobalAddresses) {
  for (const char* text :
       {"8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255", "100.128.0.1", "169.253.0.1",
        "192.0.1.1", "198.20.0.1", "223.255.255.255", "2606:4700:4700::1111", "2001:200::1",
        "2001:4860:4860::8888", "3ffe::1", "3fff:1000::1", "::ffff:8.8.8.8", "64:ff9b::808:808"}) {
    SCOPED_TRACE(text);
    EXPECT_TRUE(is_public_address(must_parse(text)));
  }
}

}  // namespace
}  // namespace hookd::security
