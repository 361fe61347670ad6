#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace hookd {

// A thread that runs a step again and again: after each turn it waits until woken, until the
// time the step asked for, or until stop() is called, whichever comes first.
class BackgroundLoop {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  // One turn of the work. Returns when the next turn is due at the latest (a time already
  // passed means at once, TimePoint::max() only when woken), or nullopt to end the loop. Once
  // stop() was called, stopping() is true and each step decides whether work is left.
  using Step = std::function<std::optional<TimePoint>()>;

  BackgroundLoop() = default;
  ~BackgroundLoop();
  BackgroundLoop(const BackgroundLoop&) = delete;
  BackgroundLoop& operator=(const BackgroundLoop&) = delete;

  // Starts the thread; its first turn is at `first_turn` (at once by default) or when woken.
  void start(Step step, TimePoint first_turn = TimePoint::min());
  // Runs the next turn now (or right after the one running). Thread-safe.
  void wake();
  // Sets stopping(), wakes the loop, and waits until a step has returned nullopt. Only the
  // first call waits; it returns at once when the loop was never started.
  void stop();
  bool stopping() const { return stopping_.load(); }

 private:
  void run(TimePoint first_turn);

  Step step_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace hookd
