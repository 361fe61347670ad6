#include "security/client_address.hpp"

#include <gtest/gtest.h>

namespace hookd::security {
namespace {

std::vector<Cidr> cidrs(std::initializer_list<const char*> texts) {
  std::vector<Cidr> out;
  for (const char* t : texts) out.push_back(*Cidr::parse(t));
  return out;
}

TEST(ClientAddress, WithoutTrustedProxiesForwardedForIsIgnored) {
  EXPECT_EQ(client_address("203.0.113.9", "198.51.100.1", {}), "203.0.113.9");
  EXPECT_EQ(client_address("::ffff:203.0.113.9", "", {}), "203.0.113.9");
}

TEST(ClientAddress, AnUntrustedPeerIsTheClientWhateverItForwards) {
  EXPECT_EQ(client_address("203.0.113.9", "198.51.100.1", cidrs({"10.0.0.0/8"})), "203.0.113.9");
}

TEST(ClientAddress, BehindTrustedProxiesTheRightMostUntrustedEntryIsTheClient) {
  const auto proxies = cidrs({"10.0.0.0/8", "2001:db8::/32"});
  EXPECT_EQ(client_address("10.0.0.2", "198.51.100.1", proxies), "198.51.100.1");
  // The left-most entries are the client's to write: a forged one is not believed.
  EXPECT_EQ(client_address("10.0.0.2", "1.2.3.4, 198.51.100.1, 10.0.0.7", proxies), "198.51.100.1");
  EXPECT_EQ(client_address("2001:db8::5", "2001:db8::6,198.51.100.1 ", proxies), "198.51.100.1");
  // Nothing forwarded: the proxy itself.
  EXPECT_EQ(client_address("10.0.0.2", "", proxies), "10.0.0.2");
  // Every hop trusted: the left-most.
  EXPECT_EQ(client_address("10.0.0.2", "10.1.1.1, 10.0.0.3", proxies), "10.1.1.1");
}

TEST(ClientAddress, AnUnparseableEntryStopsAtTheHopThatAddedIt) {
  const auto proxies = cidrs({"10.0.0.0/8"});
  EXPECT_EQ(client_address("10.0.0.2", "198.51.100.1, garbage", proxies), "10.0.0.2");
  EXPECT_EQ(client_address("10.0.0.2", "garbage, 10.0.0.3", proxies), "10.0.0.3");
  EXPECT_EQ(client_address("", "198.51.100.1", proxies), "");
}

}  // namespace
}  // namespace hookd::security
