#include "support/raw_connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace hookd::testing {

RawConnection::RawConnection(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    throw std::runtime_error(std::string("connect failed: ") + std::strerror(errno));
  }
}

RawConnection::~RawConnection() { ::close(fd_); }

bool RawConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string RawConnection::read_head(std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  for (;;) {
    if (const size_t end = pending_.find("\r\n\r\n"); end != std::string::npos) {
      std::string head = pending_.substr(0, end + 4);
      pending_.erase(0, end + 4);
      return head;
    }
    if (!read_some(pending_, until)) return {};
  }
}

std::string RawConnection::read_response(std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  for (;;) {
    const size_t end = pending_.find("\r\n\r\n");
    if (end != std::string::npos) {
      size_t length = 0;
      const std::string head = pending_.substr(0, end);
      std::string lower = head;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const size_t at = lower.find("\r\ncontent-length:");
      if (at != std::string::npos) length = std::stoul(head.substr(at + 17));
      if (pending_.size() >= end + 4 + length) {
        std::string response = pending_.substr(0, end + 4 + length);
        pending_.erase(0, end + 4 + length);
        return response;
      }
    }
    if (closed_ || !read_some(pending_, until)) break;
  }
  return std::exchange(pending_, {});
}

RawConnection::Parts RawConnection::read_response_parts(std::chrono::milliseconds deadline) {
  std::string response = read_response(deadline);
  const size_t end = response.find("\r\n\r\n");
  if (end == std::string::npos) return {};
  return {response.substr(0, end + 4), response.substr(end + 4)};
}

std::string RawConnection::read_until_close(std::chrono::milliseconds deadline) {
  std::string out = std::exchange(pending_, {});
  const auto until = Clock::now() + deadline;
  while (!closed_ && read_some(out, until)) {
  }
  return out;
}

bool RawConnection::wait_closed(std::chrono::milliseconds deadline) {
  std::string ignored;
  const auto until = Clock::now() + deadline;
  while (!closed_ && read_some(ignored, until)) {
  }
  return closed_;
}

bool RawConnection::read_some(std::string& out, Clock::time_point until) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char buf[16 * 1024];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  out.append(buf, static_cast<size_t>(n));
  return true;
}

}  // namespace hookd::testing
