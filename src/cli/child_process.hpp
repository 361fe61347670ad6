#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

// hookd running hookd: the processes `hookd demo` starts. Each child gets this process's
// environment without HOOKD_* variables (a shell's settings must not reach a throwaway
// server), stdin from /dev/null, and SIGTERM when this process dies.
namespace hookd::cli {

// The path of the running hookd binary.
std::string own_executable();

struct ChildOutput {
  int exit_code = -1;  // 128 + N when killed by signal N; -1 when killed at the deadline
  std::string out;     // standard output, at most 64 KiB
};

// Runs `program args...` to its end, its stderr appended to `log_file`. Throws
// std::runtime_error when it cannot start.
ChildOutput run_child(const std::string& program, const std::vector<std::string>& args,
                      const std::string& log_file, std::chrono::milliseconds deadline);

// `program serve args...` until stop(). Its stderr (JSON log lines) goes to `log_file`; the
// constructor returns once its "listening" line is there.
class ServingChild {
 public:
  // Throws std::runtime_error when the server exits or does not listen before `deadline`.
  ServingChild(const std::string& program, const std::vector<std::string>& args,
               const std::string& log_file, std::chrono::milliseconds deadline);
  ~ServingChild();  // stop()
  ServingChild(const ServingChild&) = delete;
  ServingChild& operator=(const ServingChild&) = delete;

  uint16_t port() const { return port_; }
  // SIGTERM, then SIGKILL if it has not exited 15 s later. Its exit code; idempotent.
  int stop();

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  uint16_t port_ = 0;
  std::thread log_writer_;
};

}  // namespace hookd::cli
