#include "cli/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>

extern char** environ;

namespace hookd::cli {
namespace {

constexpr size_t kMaxOutputBytes = 64 * 1024;
constexpr std::chrono::seconds kStopDeadline{15};

[[noreturn]] void fail_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

struct Fd {
  int fd = -1;
  explicit Fd(int value = -1) : fd(value) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

int open_log(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) fail_errno("cannot open " + path);
  return fd;
}

// fork and exec, with `out` and `err` as the child's stdout and stderr (-1: /dev/null).
pid_t spawn(const std::string& program, const std::vector<std::string>& args, int out, int err) {
  std::vector<std::string> words{program};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::string_view(*entry).starts_with("HOOKD_")) continue;
    envp.push_back(*entry);
  }
  envp.push_back(nullptr);

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) fail_errno("cannot start " + program);
  if (pid == 0) {
    // Only async-signal-safe calls until exec: this process may have other threads.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    const int null_in = ::open("/dev/null", O_RDONLY);
    const int null_out = ::open("/dev/null", O_WRONLY);
    if (null_in < 0 || null_out < 0) ::_exit(127);
    ::dup2(null_in, 0);
    ::dup2(out >= 0 ? out : null_out, 1);
    ::dup2(err >= 0 ? err : null_out, 2);
    ::execve(program.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// The child's exit code, or nullopt if it still runs at `deadline`.
std::optional<int> wait_until(pid_t pid, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return exit_code_of(status);
    if (done < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int terminate(pid_t pid) {
  ::kill(pid, SIGTERM);
  if (auto code = wait_until(pid, std::chrono::steady_clock::now() + kStopDeadline)) return *code;
  ::kill(pid, SIGKILL);
  return wait_until(pid, std::chrono::steady_clock::now() + kStopDeadline).value_or(-1);
}

// The port of a `{"msg":"listening",...,"port":N}` log line.
std::optional<uint16_t> listening_port(std::string_view line) {
  if (line.find("listening") == std::string_view::npos) return std::nullopt;
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(line, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const boost::json::value* msg = value.get_object().if_contains("msg");
  const boost::json::value* port = value.get_object().if_contains("port");
  if (!msg || !msg->is_string() || msg->get_string() != "listening" || !port) return std::nullopt;
  const auto number = port->to_number<int64_t>(ec);
  if (ec || number <= 0 || number > 65535) return std::nullopt;
  return static_cast<uint16_t>(number);
}

}  // namespace

std::string own_executable() {
  char path[4096];
  const ssize_t size = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (size <= 0) fail_errno("cannot find the hookd binary (/proc/self/exe)");
  return std::string(path, static_cast<size_t>(size));
}

ChildOutput run_child(const std::string& program, const std::vector<std::string>& args,
                      const std::string& log_file, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  Fd log(open_log(log_file));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) fail_errno("pipe");
  Fd read_end(pipe_fds[0]);
  Fd write_end(pipe_fds[1]);
  const pid_t pid = spawn(program, args, write_end.fd, log.fd);
  write_end.reset();

  ChildOutput result;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{read_end.fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    char buffer[4096];
    const ssize_t n = ::read(read_end.fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of output
    result.out.append(buffer, static_cast<size_t>(std::min(static_cast<size_t>(n),
                                                           kMaxOutputBytes - result.out.size())));
  }
  const std::optional<int> code = wait_until(pid, until);
  result.exit_code = code ? *code : (terminate(pid), -1);
  return result;
}

ServingChild::ServingChild(const std::string& program, const std::vector<std::string>& args,
                           const std::string& log_file, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  auto log = std::make_shared<Fd>(open_log(log_file));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) fail_errno("pipe");
  auto read_end = std::make_shared<Fd>(pipe_fds[0]);
  Fd write_end(pipe_fds[1]);
  std::vector<std::string> serve_args{"serve"};
  serve_args.insert(serve_args.end(), args.begin(), args.end());
  pid_ = spawn(program, serve_args, -1, write_end.fd);
  write_end.reset();

  // What the writer found, shared with it: it outlives this constructor.
  struct Found {
    std::mutex mutex;
    std::condition_variable changed;
    std::optional<uint16_t> port;
    bool closed = false;
  };
  auto found = std::make_shared<Found>();
  log_writer_ = std::thread([log, read_end, found] {
    std::string line;
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::read(read_end->fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      // The log file is the place to look when something goes wrong; a failed write
      // loses only log lines.
      [[maybe_unused]] const ssize_t written = ::write(log->fd, buffer, static_cast<size_t>(n));
      for (ssize_t i = 0; i < n; ++i) {
        if (buffer[i] != '\n') {
          if (line.size() < kMaxOutputBytes) line += buffer[i];
          continue;
        }
        if (auto port = listening_port(line)) {
          std::lock_guard lock(found->mutex);
          found->port = port;
          found->changed.notify_all();
        }
        line.clear();
      }
    }
    std::lock_guard lock(found->mutex);
    found->closed = true;
    found->changed.notify_all();
  });

  std::unique_lock lock(found->mutex);
  found->changed.wait_until(lock, until, [&] { return found->port || found->closed; });
  if (found->port) {
    port_ = *found->port;
    return;
  }
  const bool exited = found->closed;
  lock.unlock();
  stop();
  throw std::runtime_error(exited ? "hookd serve exited before it listened (log: " + log_file + ")"
                                  : "hookd serve did not listen within " +
                                        std::to_string(deadline.count()) + " ms (log: " + log_file +
                                        ")");
}

ServingChild::~ServingChild() { stop(); }

int ServingChild::stop() {
  if (pid_ > 0) {
    exit_code_ = terminate(pid_);
    pid_ = -1;
  }
  if (log_writer_.joinable()) log_writer_.join();
  return exit_code_;
}

}  // namespace hookd::cli
