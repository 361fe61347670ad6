#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hookd {

// A fixed number of threads taking tasks from a queue of bounded depth. try_post refuses
// instead of waiting when the queue is full, so a caller on an I/O thread never blocks.
class WorkQueue {
 public:
  WorkQueue(unsigned threads, size_t max_queued);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // False when the queue is full or stopped; then `task` was not taken.
  bool try_post(std::function<void()> task);

  // Runs what is queued, then joins the threads. Later posts are refused. Idempotent.
  void stop();

  size_t max_queued() const { return max_queued_; }

 private:
  void run();

  const size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace hookd
