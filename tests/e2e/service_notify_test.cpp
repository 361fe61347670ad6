// hookd serve under systemd's Type=notify: READY=1 once it listens on a migrated database,
// STOPPING=1 when a stop signal starts the graceful shutdown (sd_notify(3), over the datagram
// socket NOTIFY_SOCKET names).
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "support/hookd_process.hpp"
#include "support/http_client.hpp"

namespace hookd::testing {
namespace {

// A socket where systemd would listen for a service's notifications.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      throw std::runtime_error("cannot bind " + path + ": " + std::strerror(errno));
    }
  }
  ~NotifySocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }

  // The next message, or empty when none arrives by the deadline.
  std::string next(std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(deadline.count())) != 1) return {};
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
  }

 private:
  std::string path_;
  int fd_ = -1;
};

TEST(ServiceNotifyTest, ReadyOnceListeningThenStoppingAtShutdown) {
  TempDir dir;
  NotifySocket systemd(dir.file("notify"));
  HookdOptions options;
  options.env = {{"NOTIFY_SOCKET", dir.file("notify")}};
  HookdServer server(options);

  const std::string ready = systemd.next();
  EXPECT_NE(ready.find("READY=1"), std::string::npos) << ready;
  EXPECT_NE(ready.find("STATUS=listening on 127.0.0.1:" + std::to_string(server.port())),
            std::string::npos)
      << ready;
  // Ready means it answers, with its database reachable.
  HttpClient client(server.base_url());
  EXPECT_EQ(client.get("/readyz").status, 200);

  server.process().signal(SIGTERM);
  const std::string stopping = systemd.next();
  EXPECT_NE(stopping.find("STOPPING=1"), std::string::npos) << stopping;
  EXPECT_EQ(server.process().wait(std::chrono::seconds(15)), 0);
}

TEST(ServiceNotifyTest, AWorkerIsReadyOnceItDelivers) {
  TempDir dir;
  NotifySocket systemd(dir.file("notify"));
  HookdOptions options;
  options.env = {{"NOTIFY_SOCKET", dir.file("notify")}};
  options.extra_args = {"--role", "worker"};
  options.expect_listening = false;
  HookdServer server(options);

  const std::string ready = systemd.next();
  EXPECT_NE(ready.find("READY=1"), std::string::npos) << ready;
  EXPECT_NE(ready.find("STATUS=delivering"), std::string::npos) << ready;
  server.process().signal(SIGTERM);
  EXPECT_NE(systemd.next().find("STOPPING=1"), std::string::npos);
  EXPECT_EQ(server.process().wait(std::chrono::seconds(15)), 0);
}

}  // namespace
}  // namespace hookd::testing
