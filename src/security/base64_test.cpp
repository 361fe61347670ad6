#include "security/base64.hpp"

#include <gtest/gtest.h>

namespace hookd::security {
namespace {

TEST(Base64, RoundTripsEveryLengthOfPadding) {
  using namespace std::string_literals;
  for (const std::string& bytes : {"a"s, "ab"s, "abc"s, "abcd"s, "\0\xff\x10"s}) {
    const std::string text = base64_encode(bytes);
    ASSERT_TRUE(is_base64(text)) << text;
    EXPECT_EQ(base64_decode(text), bytes) << text;
  }
  EXPECT_EQ(base64_encode("abc"), "YWJj");
  EXPECT_EQ(base64_encode("ab"), "YWI=");
}

TEST(Base64, PaddingOnlyAtTheEndAndNothingElseIsAccepted) {
  for (std::string_view bad : {"", "YWI", "YW=j", "Y===", "YWJj\n", "YW-j", "=YWJ"}) {
    EXPECT_FALSE(is_base64(bad)) << bad;
    EXPECT_FALSE(base64_decode(bad)) << bad;
  }
}

}  // namespace
}  // namespace hookd::security
