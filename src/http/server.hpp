#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/message.hpp"

namespace hookd::http {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port, see Server::port()
  unsigned threads = 0;  // 0: one per core
  std::string tls_cert;  // PEM files; both set: HTTPS only
  std::string tls_key;
  size_t max_target_bytes = 8 * 1024;   // longer: 414
  size_t max_header_bytes = 16 * 1024;  // request line and header fields; more: 431
  // Open connections; one more is answered 503 and closed.
  size_t max_connections = 10'000;
  // Bodies being read, over all connections; a body that does not fit is answered 503.
  uint64_t max_body_buffer_bytes = 256ull * 1024 * 1024;
  std::chrono::milliseconds header_timeout{10'000};      // a head, from its first byte
  std::chrono::milliseconds keep_alive_timeout{60'000};  // idle between requests
  std::chrono::milliseconds read_timeout{30'000};        // a body, once its head is admitted
  std::chrono::milliseconds write_timeout{30'000};       // a whole response
  std::chrono::milliseconds drain_timeout{10'000};       // in-flight requests at shutdown
  // Accepting waits this long after a failed accept (no descriptor left, ...).
  std::chrono::milliseconds accept_pause{500};
};

// The most connections a process may serve with `descriptor_limit` (RLIMIT_NOFILE) when
// `reserve` descriptors are kept for the database, deliveries and logs; at least 1.
size_t clamp_max_connections(size_t configured, uint64_t descriptor_limit, size_t reserve);

// HTTP/1.1 with keep-alive on Boost.Beast, a thread per core. Every read and write has a
// timeout, every request a header and body bound. Beast stays inside server.cpp.
//
// A request's head is decoded and its framing checked (RequestDecoder), then the admitter
// decides from the head alone: an answer is written without reading the body; otherwise the
// body is read up to the admitted limit and the admission's handler gets the request.
class Server {
 public:
  // Binds at once, so that port() is known before run(). Throws std::runtime_error.
  Server(ServerOptions options, Admitter admitter, ErrorResponder errors);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const;
  bool tls() const;

  // Serves until stop(), then stops accepting, lets in-flight requests finish (up to
  // drain_timeout), and returns. Signals are the caller's (cli/stop_signals.hpp).
  void run();
  // Thread-safe.
  void stop();

  // Thread-safe, for /metrics: connections open now, and connections refused at the cap.
  int64_t connections() const;
  uint64_t connections_refused() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookd::http
