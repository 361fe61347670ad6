#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "store/postgres/connection.hpp"
#include "store/store.hpp"

namespace hookd::store::postgres {

// The channel on which a transaction that made deliveries due announces it (NOTIFY is sent
// when, and only if, the transaction commits).
inline constexpr const char* kNotifyNewWork = "NOTIFY hookd_work";

// LISTENs on its own connection, outside the pool, and calls back on every notification.
// When the connection is lost it reconnects with a growing pause (up to 5 s), and calls
// back once it is listening again, for whatever was announced while nobody listened.
class WorkListener final : public WorkWatch {
 public:
  // Returns once it listens, or once its first try failed (it then keeps trying).
  WorkListener(std::string url, ConnectionOptions options, std::function<void()> on_new_work);
  ~WorkListener() override;
  WorkListener(const WorkListener&) = delete;
  WorkListener& operator=(const WorkListener&) = delete;

 private:
  void run();
  // Waits until `fd` is readable (-1: none), the timeout passes, or stop; false on stop.
  bool wait(int fd, std::chrono::milliseconds timeout);

  const std::string url_;
  const ConnectionOptions options_;
  const std::function<void()> on_new_work_;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  std::promise<void> first_try_;
  std::thread thread_;
};

}  // namespace hookd::store::postgres
