#pragma once

#include <chrono>
#include <optional>

#include "common/background_loop.hpp"
#include "common/clock.hpp"
#include "store/store.hpp"

namespace hookd::delivery {

// Deletes deliveries, attempts and events older than the retention period, and expired
// idempotency keys, in the background, in small batches with the write lock released in between, so
// that delivery never waits long behind it. Pending deliveries are kept, however old.
class RetentionPurger {
 public:
  RetentionPurger(store::Store& store, const Clock& clock, std::chrono::milliseconds retention,
                  size_t batch = 1000);
  ~RetentionPurger();
  RetentionPurger(const RetentionPurger&) = delete;
  RetentionPurger& operator=(const RetentionPurger&) = delete;

  void stop();

  // One pass: batches until nothing is left past retention. Returns what it deleted.
  store::PurgeResult purge_once();

 private:
  // A pass every interval, the first one interval after the start.
  std::optional<BackgroundLoop::TimePoint> turn();

  store::Store& store_;
  const Clock& clock_;
  const std::chrono::milliseconds retention_;
  const size_t batch_;
  const std::chrono::milliseconds interval_;
  // Last: its thread uses everything above.
  BackgroundLoop loop_;
};

}  // namespace hookd::delivery
