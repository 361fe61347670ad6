#include "delivery/retry_policy.hpp"

#include <algorithm>

namespace hookd::delivery {

RetryDecision decide(const domain::AttemptResult& attempt, int attempts_made,
                     const std::vector<std::chrono::milliseconds>& schedule, TimePoint now,
                     double jitter) {
  const int status = attempt.status_code.value_or(0);
  if (status >= 200 && status < 300) return {Verdict::kSucceeded, now};
  if (status == 410) return {Verdict::kDisableWebhook, now};
  if (attempts_made < 1 || static_cast<size_t>(attempts_made) > schedule.size()) {
    return {Verdict::kFailed, now};
  }
  using std::chrono::microseconds;
  const auto scheduled = std::chrono::duration_cast<microseconds>(schedule[attempts_made - 1]);
  const double spread = 1.0 + 0.2 * std::clamp(jitter, -1.0, 1.0);
  auto delay = microseconds(static_cast<int64_t>(static_cast<double>(scheduled.count()) * spread));
  if ((status == 429 || status == 503) && attempt.retry_after_seconds) {
    const auto asked = std::chrono::duration_cast<microseconds>(
        std::chrono::seconds(std::max<int64_t>(0, *attempt.retry_after_seconds)));
    delay = std::min(asked, 2 * scheduled);
  }
  return {Verdict::kRetry, now + delay};
}

}  // namespace hookd::delivery
