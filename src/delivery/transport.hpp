#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/delivery.hpp"
#include "security/ip_address.hpp"

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

// The error of an attempt the receiver answered with `result.status_code`: none for a 2xx,
// kRedirect for a 3xx (never followed), kHttpStatus for any other. Both transports classify
// their answers here.
void classify_answer(domain::AttemptResult& result);

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
  // Threads of the HTTP/1.1 transport, each with connections of its own: sending (TLS and the
  // system calls) is most of an attempt's cost, and one thread sends about 25,000 a second.
  size_t http1_threads = 2;
};

// Carries attempts to receivers: what the dispatcher sends through. HttpSender chooses between
// the two HTTP transports (CurlTransport, Http1Transport); tests drive the dispatcher through
// a fake.
class Transport {
 public:
  using Callback = std::function<void(domain::AttemptResult)>;
  virtual ~Transport() = default;
  // Thread-safe. The callback runs on one of the transport's threads when the attempt has ended.
  virtual void send(OutgoingRequest request, Callback callback) = 0;
  // Finishes the requests in flight (each bounded by the timeout), then stops its threads.
  virtual void stop() = 0;
};

}  // namespace hookd::delivery
