#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hookd::api {

// Answers "is the store reachable?" within a time bound, on threads of its own: a ping that
// hangs answers false at the deadline and holds neither an I/O thread nor the handler pool.
// Checks that arrive while a ping runs share its answer.
class ReadinessProbe {
 public:
  using Done = std::function<void(bool ready)>;

  ReadinessProbe(std::function<bool()> ping, std::chrono::milliseconds timeout,
                 size_t max_waiting = 256);
  ~ReadinessProbe();
  ReadinessProbe(const ReadinessProbe&) = delete;
  ReadinessProbe& operator=(const ReadinessProbe&) = delete;

  // `done` is called exactly once, on one of the probe's threads, or at once (false) when too
  // many checks wait already or the probe has stopped.
  void check(Done done);
  // Answers every waiting check false and joins the threads (a hung ping is waited for).
  void stop();

 private:
  struct Waiter {
    std::chrono::steady_clock::time_point deadline;
    Done done;
  };
  void run_pings();
  void run_deadlines();

  const std::function<bool()> ping_;
  const std::chrono::milliseconds timeout_;
  const size_t max_waiting_;
  std::mutex mutex_;
  std::condition_variable ping_wanted_;
  std::condition_variable waiters_changed_;
  std::vector<Waiter> waiting_;
  bool stopping_ = false;
  std::thread pinger_;
  std::thread deadlines_;
};

}  // namespace hookd::api
