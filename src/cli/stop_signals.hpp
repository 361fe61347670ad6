#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace hookd::cli {

// SIGINT and SIGTERM are blocked in the main thread before any other thread starts, so that
// every thread inherits the mask and the signals reach only the one sigwait below: one
// shutdown path, whatever thread the kernel would have picked.
void block_stop_signals();

// Blocks until SIGINT or SIGTERM; returns the signal.
int wait_for_stop_signal();

// Runs `on_stop` on a thread of its own when SIGINT or SIGTERM arrives. Destroying the
// watcher before a signal came ends the thread without calling `on_stop`.
class StopSignalWatcher {
 public:
  explicit StopSignalWatcher(std::function<void()> on_stop);
  ~StopSignalWatcher();
  StopSignalWatcher(const StopSignalWatcher&) = delete;
  StopSignalWatcher& operator=(const StopSignalWatcher&) = delete;

 private:
  std::atomic<bool> cancelled_{false};
  std::thread thread_;
};

}  // namespace hookd::cli
