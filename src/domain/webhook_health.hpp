#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "common/clock.hpp"

namespace hookd::domain {

// What one recorded attempt says about its webhook's health.
struct AttemptVerdict {
  bool succeeded = false;
  bool gone = false;  // the receiver answered 410 Gone
};

// A webhook's health as stored: whether it is enabled, and since when every attempt failed.
struct WebhookHealth {
  bool enabled = true;
  std::optional<TimePoint> failing_since;
};

struct HealthChange {
  std::optional<TimePoint> failing_since;  // after the attempts
  std::optional<size_t> disabled_by;       // the attempt that disabled the webhook
  std::string disabled_reason;             // why, when disabled_by is set
};

// One webhook's attempts, taken in the order given as if each were recorded alone: a success
// ends its run of failures and a failure starts one; while it is enabled, a failure once the
// run began `disable_after` ago or earlier disables it, as does a 410 Gone at once. Each
// backend reads the health, applies this, and writes back what changed.
HealthChange health_after(std::span<const AttemptVerdict> attempts, WebhookHealth before,
                          TimePoint now, std::chrono::milliseconds disable_after);

// The reasons a disabled webhook shows (`disabledReason`).
std::string gone_reason(TimePoint now);
std::string failing_reason(TimePoint failing_since, TimePoint now);

}  // namespace hookd::domain
