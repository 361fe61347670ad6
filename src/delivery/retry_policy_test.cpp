#include "delivery/retry_policy.hpp"

#include <gtest/gtest.h>

namespace hookd::delivery {
namespace {

using namespace std::chrono_literals;
using domain::AttemptResult;

const std::vector<std::chrono::milliseconds> kSchedule{5s, 5min, 30min};
const TimePoint kNow = from_unix_micros(1'000'000'000'000);

AttemptResult with_status(std::optional<int> status) {
  AttemptResult r;
  r.status_code = status;
  return r;
}

TEST(RetryPolicy, AnyTwoHundredIsSuccess) {
  for (int s : {200, 201, 204, 299}) {
    EXPECT_EQ(decide(with_status(s), 1, kSchedule, kNow, 0).verdict, Verdict::kSucceeded) << s;
  }
}

TEST(RetryPolicy, EverythingElseIsRetriedOnSchedule) {
  for (std::optional<int> s :
       {std::optional<int>(), std::optional<int>(301), std::optional<int>(302),
        std::optional<int>(400), std::optional<int>(500)}) {
    auto d = decide(with_status(s), 1, kSchedule, kNow, 0);
    EXPECT_EQ(d.verdict, Verdict::kRetry);
    EXPECT_EQ(d.next_attempt_at, kNow + 5s);
  }
  EXPECT_EQ(decide(with_status(500), 2, kSchedule, kNow, 0).next_attempt_at, kNow + 5min);
  EXPECT_EQ(decide(with_status(500), 3, kSchedule, kNow, 0).next_attempt_at, kNow + 30min);
}

TEST(RetryPolicy, TheAttemptAfterTheLastDelayEndsFailed) {
  EXPECT_EQ(decide(with_status(500), 4, kSchedule, kNow, 0).verdict, Verdict::kFailed);
}

TEST(RetryPolicy, JitterSpreadsByTwentyPercent) {
  EXPECT_EQ(decide(with_status(500), 1, kSchedule, kNow, 1.0).next_attempt_at, kNow + 6s);
  EXPECT_EQ(decide(with_status(500), 1, kSchedule, kNow, -1.0).next_attempt_at, kNow + 4s);
  EXPECT_EQ(decide(with_status(500), 1, kSchedule, kNow, 7.0).next_attempt_at, kNow + 6s);
}

TEST(RetryPolicy, GoneDisablesTheWebhook) {
  EXPECT_EQ(decide(with_status(410), 1, kSchedule, kNow, 0).verdict, Verdict::kDisableWebhook);
}

TEST(RetryPolicy, RetryAfterIsHonouredUpToTwiceTheScheduledDelay) {
  AttemptResult r = with_status(429);
  r.retry_after_seconds = 7;
  EXPECT_EQ(decide(r, 1, kSchedule, kNow, 0.5).next_attempt_at, kNow + 7s);
  r.retry_after_seconds = 3600;
  EXPECT_EQ(decide(r, 1, kSchedule, kNow, 0).next_attempt_at, kNow + 10s);
  r.status_code = 503;
  r.retry_after_seconds = 1;
  EXPECT_EQ(decide(r, 1, kSchedule, kNow, 0).next_attempt_at, kNow + 1s);
  r.status_code = 500;  // only 429 and 503 carry a meaningful Retry-After
  EXPECT_EQ(decide(r, 1, kSchedule, kNow, 0).next_attempt_at, kNow + 5s);
}

}  // namespace
}  // namespace hookd::delivery
