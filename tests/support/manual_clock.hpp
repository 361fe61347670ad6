#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "common/clock.hpp"

namespace hookd::testing {

// A clock that moves only when the test moves it. Atomic, since the code under test reads it
// from its own threads while the test sets it.
class ManualClock final : public Clock {
 public:
  static constexpr int64_t kStartMicros = 1'800'000'000'000'000;  // 2027-01-15T08:00:00Z

  TimePoint now() const override { return from_unix_micros(micros_.load()); }
  void set(TimePoint t) { micros_.store(to_unix_micros(t)); }
  void advance(std::chrono::microseconds d) { micros_.fetch_add(d.count()); }

 private:
  std::atomic<int64_t> micros_{kStartMicros};
};

}  // namespace hookd::testing
