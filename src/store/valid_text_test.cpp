#include "store/valid_text.hpp"

#include <gtest/gtest.h>

namespace hookd::store {
namespace {

constexpr std::string_view kReplacement = "\xef\xbf\xbd";

TEST(ValidText, KeepsValidUtf8AsItIs) {
  for (std::string_view s :
       {"", "ok", "gr\xc3\xbc\xc3\x9f", "\xe2\x82\xac 5", "\xf0\x9f\x94\x92"}) {
    EXPECT_TRUE(is_valid_text(s)) << s;
    EXPECT_EQ(to_valid_text(s), s);
  }
}

TEST(ValidText, ReplacesEachByteThatIsNotPartOfValidUtf8) {
  const std::pair<std::string_view, std::string> cases[] = {
      {std::string_view("ok\0!", 4), "ok" + std::string(kReplacement) + "!"},
      {"\xff", std::string(kReplacement)},
      {"a\xc3", "a" + std::string(kReplacement)},                           // cut short
      {"\xc0\xaf", std::string(kReplacement) + std::string(kReplacement)},  // overlong
      {"\xed\xa0\x80", std::string(kReplacement) + std::string(kReplacement) +
                           std::string(kReplacement)},  // a UTF-16 surrogate
      {"\xf4\x90\x80\x80x", std::string(kReplacement) + std::string(kReplacement) +
                                std::string(kReplacement) + std::string(kReplacement) + "x"},
  };
  for (const auto& [in, out] : cases) {
    EXPECT_FALSE(is_valid_text(in)) << in;
    EXPECT_EQ(to_valid_text(in), out) << in;
    EXPECT_TRUE(is_valid_text(to_valid_text(in)));
  }
}

}  // namespace
}  // namespace hookd::store
