#include "domain/event.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <set>

namespace hookd::domain {
namespace {

TimePoint at_ms(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

TEST(EventIdTest, HasThePrefixAndTwentyFourAlphanumericCharacters) {
  const std::string id = new_event_id();
  ASSERT_EQ(id.size(), 28u);
  EXPECT_EQ(id.substr(0, 4), "evt_");
  for (char c : id.substr(4)) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << id;
}

TEST(EventIdTest, SortsAsTheCreationTimeDoes) {
  // Across digit carries and far apart: one millisecond, 61 -> 62, a day, a century.
  const int64_t now = 1'796'000'000'000;  // 2026-11
  const int64_t later[] = {now + 1, now + 62, now + 86'400'000, now + 3'155'760'000'000};
  for (int64_t t : later) {
    EXPECT_LT(new_event_id(at_ms(now)), new_event_id(at_ms(t))) << t;
  }
  EXPECT_LT(new_event_id(at_ms(61)), new_event_id(at_ms(62)));
  EXPECT_EQ(new_event_id(at_ms(0)).substr(0, 12), "evt_00000000");
}

TEST(EventIdTest, IdsOfTheSameMillisecondDiffer) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(new_event_id(at_ms(1'796'000'000'000)));
  EXPECT_EQ(ids.size(), 1000u);
}

}  // namespace
}  // namespace hookd::domain
