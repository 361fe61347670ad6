#include "security/auth_throttle.hpp"

namespace hookd::security {

AuthThrottle::AuthThrottle(uint32_t failures_per_minute, size_t max_addresses)
    : limit_(failures_per_minute), max_addresses_(max_addresses < 1 ? 1 : max_addresses) {}

std::optional<std::chrono::seconds> AuthThrottle::throttled(std::string_view address,
                                                            Clock::time_point now) {
  if (!enabled()) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = entries_.find(std::string(address));
  if (it == entries_.end() || it->second.failures < limit_) return std::nullopt;
  const auto end = it->second.window_start + kWindow;
  if (now >= end) return std::nullopt;
  // Rounded up: a client that waits this long is let in.
  auto left = std::chrono::ceil<std::chrono::seconds>(end - now);
  return std::max(left, std::chrono::seconds(1));
}

void AuthThrottle::record_failure(std::string_view address, Clock::time_point now) {
  if (!enabled()) return;
  std::lock_guard lock(mutex_);
  forget_expired(now);
  auto [it, inserted] = entries_.try_emplace(std::string(address));
  Entry& e = it->second;
  if (inserted) {
    if (entries_.size() > max_addresses_) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
    e.window_start = now;
    e.order = order_.insert(order_.end(), it->first);
  } else if (now >= e.window_start + kWindow) {
    e.window_start = now;
    e.failures = 0;
    order_.splice(order_.end(), order_, e.order);
  }
  if (e.failures < UINT32_MAX) ++e.failures;
}

size_t AuthThrottle::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

// Windows start in order_'s order, so the expired ones are at its front.
void AuthThrottle::forget_expired(Clock::time_point now) {
  while (!order_.empty()) {
    auto it = entries_.find(order_.front());
    if (now < it->second.window_start + kWindow) return;
    entries_.erase(it);
    order_.pop_front();
  }
}

}  // namespace hookd::security
