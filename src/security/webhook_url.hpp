#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "security/destination_guard.hpp"
#include "security/ip_address.hpp"

namespace hookd::security {

enum class UrlProblem {
  kNone,
  kInvalid,               // WebhookInvalidUrl
  kUnsupportedProtocol,   // WebhookUnsupportedProtocol
  kForbiddenDestination,  // WebhookForbiddenDestination
};

// Why a URL is kInvalid, for the API to say it in the client's language.
enum class UrlDefect {
  kNone,
  kTooLong,
  kNotAbsolute,
  kNoHost,
  kCredentials,
  kFragment,
  kHostOrPort,
  kInvalidIpv6,
  kPercentEncoded,
  kInvalidIpv4,
  kInvalidHostName,
  kInvalidPort,
};

// Where a webhook URL sends its requests, taken apart for the delivery client.
struct WebhookTarget {
  std::string scheme;  // lower-case, always "https"
  // Lower-case, as written otherwise: a trailing dot is kept and an IPv6 literal keeps its
  // brackets, so the value fits a Host header.
  std::string host;
  uint16_t port = 443;
  std::string target;                // path and query as written, "/" when the path is empty
  std::optional<IpAddress> literal;  // set when the host is an IP literal in any spelling
  bool is_localhost = false;         // localhost, localhost. or *.localhost
};

struct UrlCheck {
  UrlProblem problem = UrlProblem::kNone;
  UrlDefect defect = UrlDefect::kNone;  // set when problem is kInvalid
  // Human text saying what is wrong, e.g. "credentials are not allowed in webhookUrl".
  std::string detail;
  // Set only when problem is kNone.
  std::optional<WebhookTarget> target;
};

// The longest webhookUrl accepted, in bytes.
inline constexpr size_t kMaxWebhookUrlLength = 2048;

// Validates a webhookUrl as POST/PUT /v2/webhooks do. Checks, in order: malformed URL
// (kInvalid), a scheme other than https (kUnsupportedProtocol), and a localhost or IP-literal
// host the guard refuses (kForbiddenDestination). Other host names are not resolved here; the
// delivery client checks the addresses they resolve to.
UrlCheck check_webhook_url(std::string_view url, const DestinationGuard& guard);

}  // namespace hookd::security
