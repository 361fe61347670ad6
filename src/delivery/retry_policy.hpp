#pragma once

#include <chrono>
#include <vector>

#include "common/clock.hpp"
#include "domain/delivery.hpp"

namespace hookd::delivery {

enum class Verdict {
  kSucceeded,       // any 2xx
  kRetry,           // try again at next_attempt_at
  kFailed,          // the schedule is exhausted
  kDisableWebhook,  // 410 Gone: the receiver asked us to stop
};

struct RetryDecision {
  Verdict verdict = Verdict::kFailed;
  TimePoint next_attempt_at{};
};

// What to do after an attempt. `attempts_made` counts this one; `schedule` holds the delays
// between attempts (so schedule.size() + 1 attempts in all); `jitter` is uniform in [-1, 1]
// and spreads each delay by ±20 %. A Retry-After on 429 or 503 is honoured up to twice the
// scheduled delay. Pure: time and randomness come in as arguments.
RetryDecision decide(const domain::AttemptResult& attempt, int attempts_made,
                     const std::vector<std::chrono::milliseconds>& schedule, TimePoint now,
                     double jitter);

}  // namespace hookd::delivery
