#include "security/secrets.hpp"

#include <gtest/gtest.h>

#include <set>

namespace hookd::security {
namespace {

bool all_alphanumeric(std::string_view s) {
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return true;
}

TEST(Secrets, HmacSecretIs32AlphanumericCharactersAndNeverRepeats) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string s = generate_hmac_secret();
    EXPECT_EQ(s.size(), 32u);
    EXPECT_TRUE(all_alphanumeric(s)) << s;
    EXPECT_TRUE(seen.insert(s).second) << "repeated secret " << s;
  }
}

TEST(Secrets, AlphabetIsCoveredRoughlyUniformly) {
  // 62,000 draws: each of 62 characters expected 1000 times; 700..1300 is > 9 sigma wide.
  std::map<char, int> counts;
  for (char c : random_alphanumeric(62'000)) counts[c]++;
  EXPECT_EQ(counts.size(), 62u);
  for (auto [c, n] : counts) {
    EXPECT_GT(n, 700) << c;
    EXPECT_LT(n, 1300) << c;
  }
}

TEST(Secrets, TokensAreUuidShapedAndDistinct) {
  const std::string a = generate_token();
  const std::string b = generate_token();
  EXPECT_NE(a, b);
  EXPECT_TRUE(is_well_formed_token(a)) << a;
  EXPECT_EQ(a[14], '4');
  EXPECT_FALSE(is_well_formed_token(""));
  EXPECT_FALSE(is_well_formed_token("ab882227-c692-4eb3-a9c7-c6116de41f0"));
  EXPECT_FALSE(is_well_formed_token("ab882227-c692-4eb3-a9c7-c6116de41f0g"));
  EXPECT_FALSE(is_well_formed_token("ab882227xc692-4eb3-a9c7-c6116de41f0f"));
  EXPECT_TRUE(is_well_formed_token("ab882227-c692-4eb3-a9c7-c6116de41f0f"));
}

TEST(Secrets, TokenHashIsSha256Hex) {
  EXPECT_EQ(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_NE(hash_token("a"), hash_token("b"));
}

TEST(Secrets, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

}  // namespace
}  // namespace hookd::security
