#include "support/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>

extern char** environ;

namespace hookd::testing {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// Closes the descriptor when it goes out of scope, so early exits and exceptions leak nothing.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

// Close-on-exec, so concurrently spawned children never inherit each other's pipes (which would
// keep them open and hide EOF).
Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) throw_errno("fcntl O_NONBLOCK");
}

std::vector<std::string> build_environment(const SpawnOptions& options) {
  auto name_of = [](std::string_view entry) { return entry.substr(0, entry.find('=')); };
  std::vector<std::string> result;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view name = name_of(*entry);
    const bool removed =
        std::any_of(options.env_remove_prefixes.begin(), options.env_remove_prefixes.end(),
                    [&](const std::string& prefix) { return name.starts_with(prefix); });
    const bool replaced = std::any_of(options.env.begin(), options.env.end(),
                                      [&](const auto& kv) { return kv.first == name; });
    if (!removed && !replaced) result.emplace_back(*entry);
  }
  for (const auto& [name, value] : options.env) result.push_back(name + "=" + value);
  return result;
}

// Starts argv with the given descriptors as its stdin/stdout/stderr (stdin_fd < 0: /dev/null).
pid_t spawn(const std::vector<std::string>& argv, const SpawnOptions& options, int stdin_fd,
            int stdout_fd, int stderr_fd) {
  if (argv.empty()) throw std::invalid_argument("spawn: empty argv");

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);

  if (stdin_fd >= 0) {
    ::posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
  } else {
    ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  ::posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(&actions, stderr_fd, STDERR_FILENO);
  if (!options.working_dir.empty()) {
    ::posix_spawn_file_actions_addchdir_np(&actions, options.working_dir.c_str());
  }

  // Ignored signals survive exec (libcurl and test runners like to ignore SIGPIPE), and a
  // child that ignores SIGTERM or SIGPIPE behaves unlike one started from a shell.
  sigset_t mask;
  sigemptyset(&mask);
  ::posix_spawnattr_setsigmask(&attr, &mask);
  sigset_t defaults;
  sigfillset(&defaults);
  sigdelset(&defaults, SIGKILL);
  sigdelset(&defaults, SIGSTOP);
  ::posix_spawnattr_setsigdefault(&attr, &defaults);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env = build_environment(options);
  std::vector<char*> envp;
  for (std::string& entry : env) envp.push_back(entry.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0].c_str(), &actions, &attr, args.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "posix_spawn " + argv[0]);
  return pid;
}

// Blocks until the child has exited but leaves it unreaped: its pid cannot be reused yet, so
// a concurrent kill() can never hit an unrelated process.
void wait_exited(pid_t pid) {
  siginfo_t info;
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0) {
    if (errno != EINTR) return;  // ECHILD: already reaped (SIGCHLD ignored); nothing to wait for
  }
}

// Reaps an exited child: its exit code, or 128 + N when killed by signal N.
int reap(pid_t pid) {
  int status = 0;
  pid_t rc;
  do {
    rc = ::waitpid(pid, &status, 0);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Appends whatever is readable now. Returns false at EOF (or on a read error).
bool drain(int fd, std::string& into) {
  char buffer[16384];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      into.append(buffer, static_cast<size_t>(n));
    } else if (n == 0) {
      return false;
    } else if (errno == EINTR) {
      continue;
    } else {
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
  }
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, std::string_view stdin_data,
                          std::chrono::milliseconds timeout) {
  return run_command(argv, stdin_data, timeout, SpawnOptions{});
}

CommandResult run_command(const std::vector<std::string>& argv, std::string_view stdin_data,
                          std::chrono::milliseconds timeout, const SpawnOptions& options) {
  // stdin is a socket so writes can use MSG_NOSIGNAL: a child that exits without reading its
  // input must not kill the test binary with SIGPIPE.
  int in_fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_fds) != 0) throw_errno("socketpair");
  UniqueFd child_in(in_fds[0]);
  UniqueFd in(in_fds[1]);
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  Pipe exited = make_pipe();

  const pid_t pid = spawn(argv, options, child_in.get(), out.write.get(), err.write.get());
  child_in.reset();
  out.write.reset();
  err.write.reset();

  // waitid cannot be polled, so a thread turns the child's exit into a readable descriptor.
  std::thread waiter([pid, fd = exited.write.get()] {
    wait_exited(pid);
    const char byte = 0;
    while (::write(fd, &byte, 1) < 0 && errno == EINTR) {
    }
  });

  CommandResult result;
  set_nonblocking(out.read.get());
  set_nonblocking(err.read.get());
  set_nonblocking(in.get());
  size_t written = 0;
  if (stdin_data.empty()) in.reset();

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  bool child_exited = false;
  while (!child_exited) {
    pollfd fds[4];
    nfds_t count = 0;
    fds[count++] = {exited.read.get(), POLLIN, 0};
    if (out.read.get() >= 0) fds[count++] = {out.read.get(), POLLIN, 0};
    if (err.read.get() >= 0) fds[count++] = {err.read.get(), POLLIN, 0};
    if (in.get() >= 0) fds[count++] = {in.get(), POLLOUT, 0};

    int wait_ms = -1;
    if (!timed_out) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        // Still unreaped here, so the pid is certainly our child's.
        ::kill(pid, SIGKILL);
        timed_out = true;
      } else {
        wait_ms = static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
      }
    }
    const int ready = ::poll(fds, count, wait_ms);
    if (ready < 0 && errno != EINTR) {
      ::kill(pid, SIGKILL);
      waiter.join();
      reap(pid);
      throw_errno("poll");
    }
    if (ready <= 0) continue;

    for (nfds_t i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      const int fd = fds[i].fd;
      if (fd == exited.read.get()) {
        child_exited = true;
      } else if (fd == out.read.get()) {
        if (!drain(fd, result.out)) out.read.reset();
      } else if (fd == err.read.get()) {
        if (!drain(fd, result.err)) err.read.reset();
      } else if (fd == in.get()) {
        const size_t chunk = std::min<size_t>(stdin_data.size() - written, 65536);
        const ssize_t n = ::send(fd, stdin_data.data() + written, chunk, MSG_NOSIGNAL);
        if (n > 0) written += static_cast<size_t>(n);
        // Closing signals EOF; on EPIPE the child stopped reading and the rest is moot.
        if (written == stdin_data.size() || (n < 0 && errno != EAGAIN && errno != EINTR)) {
          in.reset();
        }
      }
    }
  }
  // The child is gone, so what it wrote is already in the pipes; a grandchild that kept them
  // open does not hold us up.
  if (out.read.get() >= 0) drain(out.read.get(), result.out);
  if (err.read.get() >= 0) drain(err.read.get(), result.err);
  waiter.join();
  result.exit_code = reap(pid);
  if (timed_out) result.exit_code = -1;
  return result;
}

Process::Process(std::vector<std::string> argv, SpawnOptions options) : argv_(std::move(argv)) {
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  Pipe wake = make_pipe();
  pid_ = spawn(argv_, options, -1, out.write.get(), err.write.get());
  set_nonblocking(out.read.get());
  set_nonblocking(err.read.get());
  stdout_fd_ = out.read.release();
  stderr_fd_ = err.read.release();
  wake_read_fd_ = wake.read.release();
  wake_write_fd_ = wake.write.release();
  reader_ = std::thread([this] { read_loop(); });
  waiter_ = std::thread([this] { wait_loop(); });
}

Process::~Process() {
  {
    std::lock_guard lock(mutex_);
    if (!reaped_) ::kill(pid_, SIGKILL);
  }
  waiter_.join();
  // The reader may still be blocked if a grandchild holds the pipes open; wake it up.
  const char byte = 0;
  while (::write(wake_write_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
  reader_.join();
  for (int fd : {stdout_fd_, stderr_fd_, wake_read_fd_, wake_write_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

void Process::read_loop() {
  bool out_open = true;
  bool err_open = true;
  std::string chunk;
  while (out_open || err_open) {
    pollfd fds[3] = {{wake_read_fd_, POLLIN, 0},
                     {out_open ? stdout_fd_ : -1, POLLIN, 0},
                     {err_open ? stderr_fd_ : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents != 0) break;
    for (int i = 1; i < 3; ++i) {
      if (fds[i].revents == 0) continue;
      chunk.clear();
      const bool open = drain(fds[i].fd, chunk);
      {
        std::lock_guard lock(mutex_);
        if (i == 1) {
          stdout_ += chunk;
          out_open = open;
        } else {
          stderr_ += chunk;
          err_open = open;
          stderr_closed_ = !open;
        }
      }
      changed_.notify_all();
    }
  }
  {
    std::lock_guard lock(mutex_);
    stderr_closed_ = true;
  }
  changed_.notify_all();
}

void Process::wait_loop() {
  wait_exited(pid_);
  {
    std::lock_guard lock(mutex_);
    exit_code_ = reap(pid_);
    reaped_ = true;
  }
  changed_.notify_all();
}

std::string Process::stdout_text() const {
  std::lock_guard lock(mutex_);
  return stdout_;
}

std::string Process::stderr_text() const {
  std::lock_guard lock(mutex_);
  return stderr_;
}

std::size_t Process::stderr_size() const {
  std::lock_guard lock(mutex_);
  return stderr_.size();
}

bool Process::wait_for_stderr_line(const std::function<bool(std::string_view line)>& pred,
                                   std::chrono::milliseconds deadline, std::string* matched,
                                   std::size_t from_offset) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  std::size_t pos = from_offset;
  bool last_pass = false;
  std::vector<std::string> lines;
  std::unique_lock lock(mutex_);
  while (true) {
    lines.clear();
    for (std::size_t nl;
         pos < stderr_.size() && (nl = stderr_.find('\n', pos)) != std::string::npos;
         pos = nl + 1) {
      lines.push_back(stderr_.substr(pos, nl - pos));
    }
    const bool closed = stderr_closed_;
    // At EOF an unterminated last line is still a line.
    if (closed && pos < stderr_.size()) {
      lines.push_back(stderr_.substr(pos));
      pos = stderr_.size();
    }
    if (!lines.empty()) {
      // The predicate is the caller's code; it may call back into this object.
      lock.unlock();
      for (const std::string& line : lines) {
        if (pred(line)) {
          if (matched != nullptr) *matched = line;
          return true;
        }
      }
      if (std::chrono::steady_clock::now() >= until) return false;
      lock.lock();
      continue;
    }
    if (closed || last_pass) return false;
    // One more scan after the deadline catches output that arrived just as it passed.
    if (changed_.wait_until(lock, until) == std::cv_status::timeout) last_pass = true;
  }
}

void Process::signal(int sig) {
  std::lock_guard lock(mutex_);
  if (!reaped_) ::kill(pid_, sig);
}

std::optional<int> Process::wait(std::chrono::milliseconds deadline) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, deadline, [this] { return reaped_; })) return std::nullopt;
  return exit_code_;
}

bool Process::running() const {
  std::lock_guard lock(mutex_);
  return !reaped_;
}

}  // namespace hookd::testing
