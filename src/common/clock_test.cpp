#include "common/clock.hpp"

#include <gtest/gtest.h>

namespace hookd {
namespace {

using namespace std::chrono;

TEST(Rfc3339, ReadsOffsetsAndFractions) {
  const auto t = parse_rfc3339("2026-11-29T08:22:48.123456+02:00");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_rfc3339(*t), "2026-11-29T06:22:48.123Z");
  EXPECT_EQ(to_unix_micros(*t) % 1'000'000, 123456);
  EXPECT_EQ(parse_rfc3339("2026-11-29t06:22:48z"), parse_rfc3339("2026-11-29T06:22:48Z"));
  EXPECT_FALSE(parse_rfc3339("2026-02-30T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-29 06:22:48Z"));
}

TEST(Rfc3339, KeepsTheFourDigitYearsItCanWriteBack) {
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("0000-01-01T00:00:00Z")), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("9999-12-31T23:59:59.999Z")), "9999-12-31T23:59:59.999Z");
  // Found by fuzz/events_fuzzer: an offset or a leap second carried these out of 0000-9999, and
  // the delivered body's time was no RFC 3339 date-time ("-001-12-31...", "10000-01-01...").
  EXPECT_FALSE(parse_rfc3339("0000-01-01T00:00:00+00:01"));
  EXPECT_FALSE(parse_rfc3339("9999-12-31T23:59:60Z"));
  EXPECT_FALSE(parse_rfc3339("9999-12-31T23:59:59-00:01"));
}

}  // namespace
}  // namespace hookd
