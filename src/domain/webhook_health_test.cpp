#include "domain/webhook_health.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace hookd::domain {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = *parse_rfc3339("2027-01-15T08:00:00Z");
constexpr AttemptVerdict kSuccess{true, false};
constexpr AttemptVerdict kFailure{false, false};
constexpr AttemptVerdict kGone{false, true};

HealthChange after(std::vector<AttemptVerdict> attempts, WebhookHealth before, TimePoint now) {
  return health_after(attempts, before, now, std::chrono::hours(24 * 5));
}

TEST(WebhookHealth, AFirstFailureStartsARunOfFailures) {
  const HealthChange change = after({kFailure}, {}, t0);
  EXPECT_EQ(change.failing_since, t0);
  EXPECT_FALSE(change.disabled_by);
}

TEST(WebhookHealth, ASuccessEndsTheRun) {
  const HealthChange change = after({kFailure, kSuccess}, {true, t0 - 1h}, t0);
  EXPECT_EQ(change.failing_since, std::nullopt);
  EXPECT_FALSE(change.disabled_by);
}

TEST(WebhookHealth, AFailureKeepsWhenTheRunBegan) {
  const HealthChange change = after({kFailure, kFailure}, {true, t0 - 1h}, t0);
  EXPECT_EQ(change.failing_since, t0 - 1h);
}

TEST(WebhookHealth, FailingForTheWholeWindowDisablesWithItsReason) {
  const TimePoint now = t0 + std::chrono::hours(24 * 5) + 250ms;
  const HealthChange change = after({kSuccess, kFailure, kFailure}, {true, t0}, now);
  // The success restarted the run: nothing to disable yet.
  EXPECT_FALSE(change.disabled_by);
  const HealthChange failing = after({kFailure, kFailure}, {true, t0}, now);
  ASSERT_EQ(failing.disabled_by, 0u);
  EXPECT_EQ(failing.disabled_reason,
            "Every delivery failed from 2027-01-15T08:00:00Z until " + format_rfc3339(now));
}

TEST(WebhookHealth, AFailureJustInsideTheWindowDoesNotDisable) {
  const TimePoint now = t0 + std::chrono::hours(24 * 5) - 1us;
  EXPECT_FALSE(after({kFailure}, {true, t0}, now).disabled_by);
}

TEST(WebhookHealth, GoneDisablesAtOnceAndNamesTheAnswer) {
  const HealthChange change = after({kSuccess, kGone, kFailure}, {}, t0);
  ASSERT_EQ(change.disabled_by, 1u);
  EXPECT_EQ(change.disabled_reason, "The receiver answered 410 Gone at " + format_rfc3339(t0));
  EXPECT_EQ(change.failing_since, t0);
}

TEST(WebhookHealth, ADisabledWebhookIsNotDisabledAgain) {
  const HealthChange change =
      after({kGone, kFailure}, {false, t0 - std::chrono::hours(24 * 9)}, t0);
  EXPECT_FALSE(change.disabled_by);
}

TEST(WebhookHealth, TheFirstDisablingAttemptIsTheOneNamed) {
  const HealthChange change = after({kFailure, kGone}, {true, t0 - std::chrono::hours(24 * 6)}, t0);
  ASSERT_EQ(change.disabled_by, 0u);
  EXPECT_EQ(change.disabled_reason.rfind("Every delivery failed from ", 0), 0u);
}

}  // namespace
}  // namespace hookd::domain
