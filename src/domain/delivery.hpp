#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"

namespace hookd::domain {

using DeliveryId = int64_t;

enum class DeliveryStatus { kPending, kSucceeded, kFailed, kSkipped };

std::string_view delivery_status_name(DeliveryStatus status);
std::optional<DeliveryStatus> parse_delivery_status(std::string_view name);

// How one attempt went, as logged.
struct AttemptResult {
  TimePoint at;
  int64_t duration_ms = 0;
  std::optional<int> status_code;    // absent when no HTTP answer arrived
  std::optional<std::string> error;  // error class and text when not a 2xx
  std::string response_body;         // at most kMaxLoggedResponseBytes
  std::optional<int64_t> retry_after_seconds;
};

inline constexpr size_t kMaxLoggedResponseBytes = 4096;

}  // namespace hookd::domain
