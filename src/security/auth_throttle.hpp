#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hookd::security {

// Counts failed authentications per client address in fixed one-minute windows. An address
// with `failures_per_minute` failures in its current window is throttled until the window
// ends. Time is passed in, so that tests need no clock. Thread-safe.
class AuthThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kWindow{60};

  // 0 failures_per_minute: never throttles. At most `max_addresses` are remembered; past
  // that, the address whose window started first is forgotten.
  explicit AuthThrottle(uint32_t failures_per_minute, size_t max_addresses = 100'000);

  // When `address` is throttled at `now`: how long until its window ends (at least 1 s).
  std::optional<std::chrono::seconds> throttled(std::string_view address, Clock::time_point now);
  // One failed authentication from `address`.
  void record_failure(std::string_view address, Clock::time_point now);

  size_t size() const;
  bool enabled() const { return limit_ > 0; }

 private:
  struct Entry {
    Clock::time_point window_start;
    uint32_t failures = 0;
    std::list<std::string>::iterator order;  // position in order_
  };
  void forget_expired(Clock::time_point now);

  const uint32_t limit_;
  const size_t max_addresses_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> order_;  // addresses by window start, oldest first
};

}  // namespace hookd::security
