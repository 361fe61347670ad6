#include "cli/stop_signals.hpp"

#include <pthread.h>
#include <signal.h>

#include "common/log.hpp"

namespace hookd::cli {
namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void block_stop_signals() {
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int wait_for_stop_signal() {
  const sigset_t set = stop_signals();
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

StopSignalWatcher::StopSignalWatcher(std::function<void()> on_stop)
    : thread_([this, on_stop = std::move(on_stop)] {
        const int sig = wait_for_stop_signal();
        if (cancelled_) return;
        log::info("shutting down", {{"signal", sig}});
        on_stop();
      }) {}

StopSignalWatcher::~StopSignalWatcher() {
  // A signal sent to this thread alone, blocked everywhere, is taken by its sigwait; when a
  // real one came first the thread has ended already and pthread_kill does nothing.
  cancelled_ = true;
  pthread_kill(thread_.native_handle(), SIGTERM);
  thread_.join();
}

}  // namespace hookd::cli
