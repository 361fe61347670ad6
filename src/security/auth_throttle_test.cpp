#include "security/auth_throttle.hpp"

#include <gtest/gtest.h>

namespace hookd::security {
namespace {

using namespace std::chrono_literals;
const auto t0 = AuthThrottle::Clock::time_point{} + 1000s;

TEST(AuthThrottle, ThrottlesAtTheLimitUntilTheWindowEnds) {
  AuthThrottle throttle(3);
  for (int i = 0; i < 2; ++i) throttle.record_failure("10.0.0.1", t0 + 1s);
  EXPECT_FALSE(throttle.throttled("10.0.0.1", t0 + 2s));
  throttle.record_failure("10.0.0.1", t0 + 20s);
  auto left = throttle.throttled("10.0.0.1", t0 + 20s);
  ASSERT_TRUE(left);
  EXPECT_EQ(*left, 41s);  // the window opened at t0 + 1s and ends at t0 + 61s
  EXPECT_EQ(*throttle.throttled("10.0.0.1", t0 + 60s + 500ms), 1s);
  EXPECT_FALSE(throttle.throttled("10.0.0.1", t0 + 61s));
  // A new window counts from zero.
  throttle.record_failure("10.0.0.1", t0 + 61s);
  EXPECT_FALSE(throttle.throttled("10.0.0.1", t0 + 62s));
}

TEST(AuthThrottle, AddressesAreCountedApart) {
  AuthThrottle throttle(1);
  throttle.record_failure("10.0.0.1", t0);
  EXPECT_TRUE(throttle.throttled("10.0.0.1", t0));
  EXPECT_FALSE(throttle.throttled("10.0.0.2", t0));
  EXPECT_FALSE(throttle.throttled("2001:db8::1", t0));
}

TEST(AuthThrottle, ZeroIsOff) {
  AuthThrottle throttle(0);
  for (int i = 0; i < 1000; ++i) throttle.record_failure("10.0.0.1", t0);
  EXPECT_FALSE(throttle.throttled("10.0.0.1", t0));
  EXPECT_EQ(throttle.size(), 0u);
}

TEST(AuthThrottle, RemembersAtMostItsBoundOldestForgottenFirst) {
  AuthThrottle throttle(1, 3);
  for (int i = 0; i < 5; ++i) throttle.record_failure("10.0.0." + std::to_string(i), t0 + 1s * i);
  EXPECT_EQ(throttle.size(), 3u);
  EXPECT_FALSE(throttle.throttled("10.0.0.0", t0 + 5s));
  EXPECT_FALSE(throttle.throttled("10.0.0.1", t0 + 5s));
  EXPECT_TRUE(throttle.throttled("10.0.0.4", t0 + 5s));
  EXPECT_TRUE(throttle.throttled("10.0.0.2", t0 + 5s));
}

TEST(AuthThrottle, ExpiredWindowsAreForgotten) {
  AuthThrottle throttle(5);
  for (int i = 0; i < 100; ++i) throttle.record_failure("10.0.1." + std::to_string(i), t0);
  EXPECT_EQ(throttle.size(), 100u);
  throttle.record_failure("10.0.2.1", t0 + 60s);
  EXPECT_EQ(throttle.size(), 1u);
}

}  // namespace
}  // namespace hookd::security
