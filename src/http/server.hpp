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
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 64 * 1024;
  // A different bound for some targets (event batches); max_body_bytes when unset.
  std::function<size_t(std::string_view target)> body_limit_for;
  std::chrono::milliseconds read_timeout{30'000};   // a whole request, idle keep-alive included
  std::chrono::milliseconds write_timeout{30'000};  // a whole response
  std::chrono::milliseconds drain_timeout{10'000};  // in-flight requests at shutdown
};

// HTTP/1.1 with keep-alive on Boost.Beast, a thread per core. Every read and write has a
// timeout, every request a header and body bound. Beast stays inside server.cpp.
class Server {
 public:
  // Binds at once, so that port() is known before run(). Throws std::runtime_error.
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const;
  bool tls() const;

  // Serves until stop() or SIGINT/SIGTERM, then stops accepting, lets in-flight requests
  // finish (up to drain_timeout), and returns.
  void run();
  // Thread-safe.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookd::http
