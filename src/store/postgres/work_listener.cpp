#include "store/postgres/work_listener.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "common/log.hpp"

namespace hookd::store::postgres {

WorkListener::WorkListener(std::string url, ConnectionOptions options,
                           std::function<void()> on_new_work)
    : url_(std::move(url)), options_(options), on_new_work_(std::move(on_new_work)) {
  if (pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  auto first_try = first_try_.get_future();
  thread_ = std::thread([this] { run(); });
  first_try.wait();
}

WorkListener::~WorkListener() {
  stopping_ = true;
  const char byte = 1;
  (void)!write(stop_pipe_[1], &byte, 1);
  thread_.join();
  close(stop_pipe_[0]);
  close(stop_pipe_[1]);
}

bool WorkListener::wait(int fd, std::chrono::milliseconds timeout) {
  pollfd fds[2] = {{stop_pipe_[0], POLLIN, 0}, {fd, POLLIN, 0}};
  const nfds_t n = fd < 0 ? 1 : 2;
  while (poll(fds, n, static_cast<int>(timeout.count())) < 0) {
    if (errno != EINTR) break;
  }
  return !stopping_;
}

void WorkListener::run() {
  using namespace std::chrono_literals;
  auto pause = 100ms;
  bool lost = false;
  bool first = true;
  const auto tried = [&] {
    if (first) first_try_.set_value();
    first = false;
  };
  while (!stopping_) {
    try {
      Connection c(url_, options_);
      c.exec_script("LISTEN hookd_work");
      if (lost) {
        log::info("listening for new work again");
        on_new_work_();
      }
      lost = false;
      pause = 100ms;
      tried();
      // A timeout, so that a connection dropped without a FIN is found out by the read.
      while (wait(c.socket(), 30s)) {
        if (!c.take_notifications().empty()) on_new_work_();
      }
    } catch (const StoreError& e) {
      if (!lost) log::warn("not listening for new work", {{"error", e.what()}});
      lost = true;
      tried();
      wait(-1, pause);
      pause = std::min<std::chrono::milliseconds>(pause * 2, 5s);
    }
  }
}

}  // namespace hookd::store::postgres
