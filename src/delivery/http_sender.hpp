#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "domain/delivery.hpp"
#include "security/ip_address.hpp"

namespace hookd::security {
class DestinationGuard;
}

namespace hookd::delivery {

// One POST to a receiver.
struct OutgoingRequest {
  std::string url;
  // The URL taken apart, and the address the guard checked: the one to connect to.
  std::string host;  // as in the URL: the Host header
  uint16_t port = 443;
  std::string target;  // path and query
  std::optional<security::IpAddress> address;
  std::vector<std::string> headers;  // "name: value"
  std::string body;
};

// Where a request's connection goes ("host:port@address"): requests to one origin share
// connections, and a receiver's protocol is remembered by it.
std::string origin_of(const OutgoingRequest& request);

// Bytes of an answer read before the exchange is cut short: the status is known by then, and
// the log keeps the first 4 KiB.
inline constexpr size_t kMaxResponseBytesRead = 64 * 1024;

// The seconds of a Retry-After value (leading blanks allowed); empty when it is not a number
// (an HTTP date is not honoured).
std::optional<int64_t> retry_after_seconds(std::string_view value);

struct SenderOptions {
  std::chrono::milliseconds timeout{15'000};
  std::chrono::milliseconds connect_timeout{5'000};
  std::string ca_file;  // extra trust, beside the system's
  std::string user_agent;
  // Idle connections kept for reuse: as many as attempts may be in flight, so that none is closed
  // only to be opened again by the next attempt.
  size_t max_connections = 512;
};

// Many requests in flight from few threads: connections kept alive and reused, HTTP/2 where the
// receiver offers it, TLS always verified, redirects never followed, https only, and every
// connection to an address the guard allows. libcurl (curl_transport.hpp) carries the first
// requests to a receiver and every HTTP/2 one; a receiver seen answering over HTTP/1.1 gets the
// next ones through a lighter transport (http1_transport.hpp).
class HttpSender {
 public:
  using Callback = std::function<void(domain::AttemptResult)>;

  HttpSender(SenderOptions options, const security::DestinationGuard& guard, const Clock& clock);
  ~HttpSender();
  HttpSender(const HttpSender&) = delete;
  HttpSender& operator=(const HttpSender&) = delete;

  // Thread-safe. The callback runs on one of the sender's threads when the attempt has ended.
  void send(OutgoingRequest request, Callback callback);
  // Finishes the requests in flight (each bounded by the timeout), then stops the thread.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookd::delivery
