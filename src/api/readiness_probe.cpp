#include "api/readiness_probe.hpp"

#include <algorithm>

namespace hookd::api {

ReadinessProbe::ReadinessProbe(std::function<bool()> ping, std::chrono::milliseconds timeout,
                               size_t max_waiting)
    : ping_(std::move(ping)), timeout_(timeout), max_waiting_(max_waiting) {
  pinger_ = std::thread([this] { run_pings(); });
  deadlines_ = std::thread([this] { run_deadlines(); });
}

ReadinessProbe::~ReadinessProbe() { stop(); }

void ReadinessProbe::check(Done done) {
  {
    std::unique_lock lock(mutex_);
    if (!stopping_ && waiting_.size() < max_waiting_) {
      waiting_.push_back({std::chrono::steady_clock::now() + timeout_, std::move(done)});
      lock.unlock();
      ping_wanted_.notify_one();
      waiters_changed_.notify_one();
      return;
    }
  }
  done(false);
}

void ReadinessProbe::stop() {
  std::vector<Waiter> left;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    left.swap(waiting_);
  }
  ping_wanted_.notify_all();
  waiters_changed_.notify_all();
  for (auto& w : left) w.done(false);
  if (pinger_.joinable()) pinger_.join();
  if (deadlines_.joinable()) deadlines_.join();
}

void ReadinessProbe::run_pings() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ping_wanted_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
    if (stopping_) return;
    lock.unlock();
    bool ok = false;
    try {
      ok = ping_();
    } catch (...) {
      ok = false;
    }
    lock.lock();
    std::vector<Waiter> answered;
    answered.swap(waiting_);
    lock.unlock();
    for (auto& w : answered) w.done(ok);
    lock.lock();
  }
}

void ReadinessProbe::run_deadlines() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stopping_) return;
    if (waiting_.empty()) {
      waiters_changed_.wait(lock);
      continue;
    }
    // Waiters are appended in deadline order: the first one is the earliest.
    const auto first = waiting_.front().deadline;
    if (std::chrono::steady_clock::now() < first) {
      waiters_changed_.wait_until(lock, first);
      continue;
    }
    const auto now = std::chrono::steady_clock::now();
    auto expired_end = std::find_if(waiting_.begin(), waiting_.end(),
                                    [&](const Waiter& w) { return w.deadline > now; });
    std::vector<Waiter> expired(std::make_move_iterator(waiting_.begin()),
                                std::make_move_iterator(expired_end));
    waiting_.erase(waiting_.begin(), expired_end);
    lock.unlock();
    for (auto& w : expired) w.done(false);
    lock.lock();
  }
}

}  // namespace hookd::api
