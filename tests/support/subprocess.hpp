#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace hookd::testing {

// How a child is started. The child inherits this process's environment, edited as below.
struct SpawnOptions {
  // Set (or replace) these variables in the child's environment.
  std::vector<std::pair<std::string, std::string>> env;
  // Drop every inherited variable whose name starts with one of these (e.g. "HOOKD_"), so a
  // developer's shell cannot leak settings into a test.
  std::vector<std::string> env_remove_prefixes;
  // Working directory of the child; empty keeps ours.
  std::string working_dir;
};

struct CommandResult {
  // The exit code; 128 + N when killed by signal N; -1 when killed for running past the timeout.
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up in PATH when it has no slash) to completion, feeding `stdin_data` and
// collecting stdout and stderr. Throws std::system_error when the program cannot be started.
CommandResult run_command(const std::vector<std::string>& argv, std::string_view stdin_data = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));
CommandResult run_command(const std::vector<std::string>& argv, std::string_view stdin_data,
                          std::chrono::milliseconds timeout, const SpawnOptions& options);

// A long-running child. Its stdout and stderr are drained continuously by a background thread
// (so the child never blocks on a full pipe) and kept in memory; its stdin is /dev/null.
// All methods are thread-safe. The destructor SIGKILLs the child if it is still running.
class Process {
 public:
  explicit Process(std::vector<std::string> argv, SpawnOptions options = {});
  ~Process();

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  const std::vector<std::string>& argv() const { return argv_; }

  // Everything the child wrote so far.
  std::string stdout_text() const;
  std::string stderr_text() const;
  // Byte count of stderr so far; pass it as `from_offset` below to wait only for newer lines.
  std::size_t stderr_size() const;

  // Waits until a line of stderr (without its '\n') satisfies `pred`, scanning from
  // `from_offset` (0 = from the first line, so a line that already appeared counts). Returns
  // false when the deadline passes or stderr is closed without a match. `pred` runs without
  // any lock held, once per line per call.
  bool wait_for_stderr_line(const std::function<bool(std::string_view line)>& pred,
                            std::chrono::milliseconds deadline, std::string* matched = nullptr,
                            std::size_t from_offset = 0);

  // Sends `sig` to the child; does nothing once it has been reaped.
  void signal(int sig);

  // Waits for the child to exit: its exit code, or 128 + N when killed by signal N; nullopt if
  // it is still running at the deadline.
  std::optional<int> wait(std::chrono::milliseconds deadline);
  // True until the child has exited.
  bool running() const;

 private:
  void read_loop();
  void wait_loop();

  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  int wake_read_fd_ = -1;  // the destructor writes to wake_write_fd_ to stop read_loop
  int wake_write_fd_ = -1;

  mutable std::mutex mutex_;
  std::condition_variable changed_;  // new output, a closed stream, or the child's exit
  std::string stdout_;
  std::string stderr_;
  bool stderr_closed_ = false;
  bool reaped_ = false;
  int exit_code_ = -1;

  std::thread reader_;
  std::thread waiter_;
};

}  // namespace hookd::testing
