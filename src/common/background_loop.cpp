#include "common/background_loop.hpp"

namespace hookd {

BackgroundLoop::~BackgroundLoop() { stop(); }

void BackgroundLoop::start(Step step, TimePoint first_turn) {
  step_ = std::move(step);
  thread_ = std::thread([this, first_turn] { run(first_turn); });
}

void BackgroundLoop::wake() {
  std::lock_guard lock(mutex_);
  woken_ = true;
  wake_.notify_one();
}

void BackgroundLoop::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    woken_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void BackgroundLoop::run(TimePoint next) {
  while (true) {
    {
      std::unique_lock lock(mutex_);
      const auto woken = [&] { return woken_; };
      if (next == TimePoint::max()) {
        wake_.wait(lock, woken);
      } else if (next > std::chrono::steady_clock::now()) {
        wake_.wait_until(lock, next, woken);
      }
      // Cleared before the turn, so that a wake-up during it brings another.
      woken_ = false;
    }
    const std::optional<TimePoint> asked = step_();
    if (!asked) return;
    next = *asked;
  }
}

}  // namespace hookd
