#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"

namespace hookd::domain {

using DeliveryId = int64_t;

enum class DeliveryStatus { kPending, kSucceeded, kFailed, kSkipped };

std::string_view delivery_status_name(DeliveryStatus status);
std::optional<DeliveryStatus> parse_delivery_status(std::string_view name);

// Why an attempt did not succeed. Closed: each has the name its logged error text starts with.
enum class AttemptError {
  kNone,
  kHttpStatus,            // "http_status": the receiver answered, but not with a 2xx
  kRedirect,              // "redirect": a 3xx, which is not followed
  kTimeout,               // "timeout": no answer within delivery.timeout
  kDns,                   // "dns": the host name did not resolve
  kConnect,               // "connect": no connection to the receiver
  kTls,                   // "tls": the handshake or the certificate failed
  kNetwork,               // "network": anything else on the way
  kForbiddenDestination,  // "forbidden_destination": the address is not one hookd sends to
  kInvalidUrl,            // "invalid_url": the webhook's URL cannot be sent to
};

// "http_status", "timeout", ...; empty for kNone.
std::string_view attempt_error_name(AttemptError error);

// How one attempt went, as logged.
struct AttemptResult {
  TimePoint at;
  int64_t duration_ms = 0;
  std::optional<int> status_code;    // absent when no HTTP answer arrived
  std::optional<std::string> error;  // error class and text when not a 2xx
  // The class of `error`, set where the attempt ended; the log keeps only the text.
  AttemptError error_class = AttemptError::kNone;
  std::string response_body;  // at most kMaxLoggedResponseBytes
  std::optional<int64_t> retry_after_seconds;

  // Sets the class and the text the log keeps: "<class name>: <detail>".
  void fail(AttemptError kind, std::string_view detail);
};

inline constexpr size_t kMaxLoggedResponseBytes = 4096;

}  // namespace hookd::domain
