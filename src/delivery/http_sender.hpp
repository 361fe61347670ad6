#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "domain/delivery.hpp"

namespace hookd::security {
class DestinationGuard;
}

namespace hookd::delivery {

// One POST to a receiver.
struct OutgoingRequest {
  std::string url;
  // "host:port:address": connect to this address, the one the guard checked, whatever DNS
  // says by the time the connection opens.
  std::optional<std::string> pinned_address;
  std::vector<std::string> headers;  // "name: value"
  std::string body;
};

struct SenderOptions {
  std::chrono::milliseconds timeout{15'000};
  std::chrono::milliseconds connect_timeout{5'000};
  std::string ca_file;  // extra trust, beside the system's
  std::string user_agent;
  // Idle connections kept for reuse: as many as attempts may be in flight, so that none is closed
  // only to be opened again by the next attempt.
  size_t max_connections = 512;
};

// Many requests in flight from one thread on libcurl's multi interface: connections kept
// alive and reused, HTTP/2 where the receiver offers it, TLS always verified, redirects never
// followed, https only. Every socket's address is checked by the guard before it connects.
class HttpSender {
 public:
  using Callback = std::function<void(domain::AttemptResult)>;

  HttpSender(SenderOptions options, const security::DestinationGuard& guard, const Clock& clock);
  ~HttpSender();
  HttpSender(const HttpSender&) = delete;
  HttpSender& operator=(const HttpSender&) = delete;

  // Thread-safe. The callback runs on the sender's thread when the attempt has ended.
  void send(OutgoingRequest request, Callback callback);
  // Finishes the requests in flight (each bounded by the timeout), then stops the thread.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookd::delivery
