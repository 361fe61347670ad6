#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace hookd {

using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

// Time is injected so that expiry and retry rules are testable without waiting.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override;
};

// RFC 3339 in UTC with millisecond precision, e.g. 2026-11-29T06:22:48.123Z.
std::string format_rfc3339(TimePoint t);
// Accepts RFC 3339 date-times with any fractional precision and a Z or +hh:mm offset.
std::optional<TimePoint> parse_rfc3339(std::string_view text);

int64_t to_unix_micros(TimePoint t);
TimePoint from_unix_micros(int64_t us);

}  // namespace hookd
