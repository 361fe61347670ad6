#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace hookd::testing {

// One TCP connection to 127.0.0.1 driven byte by byte, for what an HTTP client will not do:
// malformed framing, a head without its body, a look at what arrives before the body is sent,
// whether the server closed. Every read has a deadline.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port);  // throws std::runtime_error
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // False once the server has closed or reset the connection; what it answered before that
  // is still readable.
  bool send(std::string_view bytes);

  // The next response's status line and headers (with the blank line), or "" when none came
  // within `deadline`. What follows stays for the next read.
  std::string read_head(std::chrono::milliseconds deadline);

  // The next whole response, head and Content-Length body; what arrived when the deadline
  // passed or the server closed first.
  std::string read_response(std::chrono::milliseconds deadline = std::chrono::seconds(5));

  struct Parts {
    std::string head;  // with the blank line
    std::string body;
  };
  Parts read_response_parts(std::chrono::milliseconds deadline = std::chrono::seconds(5));

  // Everything until the server closes, or until the deadline (then closed() is false).
  std::string read_until_close(std::chrono::milliseconds deadline = std::chrono::seconds(5));
  // True once the server has closed its side (EOF or reset) within the deadline.
  bool wait_closed(std::chrono::milliseconds deadline);
  bool closed() const { return closed_; }

 private:
  using Clock = std::chrono::steady_clock;
  // Appends what arrives to `out`; false at the deadline or when the server closed.
  bool read_some(std::string& out, Clock::time_point until);

  int fd_ = -1;
  bool closed_ = false;
  std::string pending_;
};

}  // namespace hookd::testing
