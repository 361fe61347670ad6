#include "security/webhook_url.hpp"

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <utility>

namespace hookd::security {
namespace {

// RFC 1035 limits, counted without a trailing dot.
constexpr size_t kMaxHostNameLength = 253;
constexpr size_t kMaxLabelLength = 63;

UrlCheck problem(UrlProblem kind, std::string detail) {
  UrlCheck check;
  check.problem = kind;
  check.detail = std::move(detail);
  return check;
}

UrlCheck invalid(UrlDefect defect, std::string detail) {
  UrlCheck check = problem(UrlProblem::kInvalid, std::move(detail));
  check.defect = defect;
  return check;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_hex_digit(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_label_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

std::string_view without_trailing_dot(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return host;
}

bool is_dns_name(std::string_view host) {
  host = without_trailing_dot(host);
  if (host.empty() || host.size() > kMaxHostNameLength) return false;
  while (true) {
    const size_t dot = host.find('.');
    const std::string_view label = host.substr(0, dot);
    if (label.empty() || label.size() > kMaxLabelLength ||
        !std::all_of(label.begin(), label.end(), is_label_char)) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    host.remove_prefix(dot + 1);
  }
}

// The WHATWG URL "ends in a number" rule: such a host is an IPv4 address or nothing, so
// "1.2.3.256" or "08.0.0.1" must not slip through as a host name that DNS might answer.
bool ends_in_number(std::string_view host) {
  host = without_trailing_dot(host);
  const size_t dot = host.rfind('.');
  const std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  if (std::all_of(last.begin(), last.end(), is_digit)) return true;
  return last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X') &&
         std::all_of(last.begin() + 2, last.end(), is_hex_digit);
}

// RFC 6761: localhost and every name under it are the loopback host.
bool is_localhost_name(std::string_view lower_host) {
  lower_host = without_trailing_dot(lower_host);
  constexpr std::string_view kLocalhost = "localhost";
  return lower_host == kLocalhost ||
         (lower_host.size() > kLocalhost.size() && lower_host.ends_with(kLocalhost) &&
          lower_host[lower_host.size() - kLocalhost.size() - 1] == '.');
}

std::optional<uint16_t> parse_port(std::string_view text) {
  if (!std::all_of(text.begin(), text.end(), is_digit)) return std::nullopt;
  // Leading zeros are harmless ("0443" is 443) but must not overflow the count below.
  while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);
  if (text.empty() || text.size() > 5) return std::nullopt;
  uint32_t value = 0;
  for (char c : text) value = value * 10 + static_cast<uint32_t>(c - '0');
  if (value < 1 || value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

IpAddress loopback_v6() {
  std::array<uint8_t, 16> bytes{};
  bytes[15] = 1;
  return IpAddress::v6(bytes);
}

// The pieces of a URI after "scheme://", split as RFC 3986 appendix B does.
struct RawParts {
  std::string_view authority;
  std::string_view path;
  std::optional<std::string_view> query;
};

RawParts split_after_authority_start(std::string_view url, size_t authority_start) {
  RawParts parts;
  std::string_view rest = url.substr(std::min(authority_start, url.size()));
  const size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  parts.authority = rest.substr(0, authority_end);
  rest.remove_prefix(authority_end);
  rest = rest.substr(0, rest.find('#'));
  const size_t question = rest.find('?');
  parts.path = rest.substr(0, question);
  if (question != std::string_view::npos) parts.query = rest.substr(question + 1);
  return parts;
}

struct HostPort {
  std::string_view host;  // brackets kept for IP literals
  std::optional<std::string_view> port;
};

// Splits an authority without userinfo; empty when something follows the host but a port.
std::optional<HostPort> split_host_port(std::string_view authority) {
  HostPort out;
  std::string_view rest;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = authority.substr(0, close + 1);
    rest = authority.substr(close + 1);
  } else {
    const size_t colon = std::min(authority.find(':'), authority.size());
    out.host = authority.substr(0, colon);
    rest = authority.substr(colon);
  }
  if (!rest.empty()) {
    if (rest.front() != ':') return std::nullopt;
    out.port = rest.substr(1);
  }
  return out;
}

std::string_view view(boost::urls::string_view text) { return {text.data(), text.size()}; }

}  // namespace

UrlCheck check_webhook_url(std::string_view url, const DestinationGuard& guard) {
  if (url.size() > kMaxWebhookUrlLength) {
    return invalid(UrlDefect::kTooLong, "webhookUrl is longer than " +
                                            std::to_string(kMaxWebhookUrlLength) + " characters");
  }
  // parse_uri rather than parse_absolute_uri, whose grammar has no fragment: a fragment then
  // gets its own message below instead of "not an absolute URL". Both demand a scheme.
  const auto parsed = boost::urls::parse_uri(boost::urls::string_view(url.data(), url.size()));
  if (!parsed) return invalid(UrlDefect::kNotAbsolute, "webhookUrl is not an absolute URL");
  const boost::urls::url_view& uri = *parsed;

  if (!uri.has_authority() || uri.encoded_host().empty()) {
    return invalid(UrlDefect::kNoHost, "webhookUrl has no host");
  }
  // has_userinfo is true for a bare "@" too, which would still confuse some parsers.
  if (uri.has_userinfo())
    return invalid(UrlDefect::kCredentials, "credentials are not allowed in webhookUrl");
  if (uri.has_fragment())
    return invalid(UrlDefect::kFragment, "a fragment is not allowed in webhookUrl");

  // Boost.URL 1.81 takes the longest dotted-quad prefix as the host ("1.2.3.4.nip.io" gives host
  // 1.2.3.4 and path ".nip.io/"), so the pieces come from the RFC 3986 split of the text that
  // Boost has just accepted as a whole.
  const RawParts parts = split_after_authority_start(url, uri.scheme().size() + 3);
  if (parts.authority.find('@') != std::string_view::npos) {
    return invalid(UrlDefect::kCredentials, "credentials are not allowed in webhookUrl");
  }
  const auto host_port = split_host_port(parts.authority);
  if (!host_port) return invalid(UrlDefect::kHostOrPort, "webhookUrl has an invalid host or port");
  const std::string_view host = host_port->host;
  if (host.empty()) return invalid(UrlDefect::kNoHost, "webhookUrl has no host");

  std::optional<IpAddress> literal;
  if (host.front() == '[') {
    // IPv6 only: IPvFuture and zone ids are refused here.
    literal = IpAddress::parse(host);
    if (!literal)
      return invalid(UrlDefect::kInvalidIpv6, "webhookUrl host is not a valid IPv6 address");
  } else {
    // Decoding escapes would let "%6cocalhost" or "127%2e0.0.1" dodge the checks below.
    if (host.find('%') != std::string_view::npos) {
      return invalid(UrlDefect::kPercentEncoded, "webhookUrl host must not be percent-encoded");
    }
    // Boost.URL reads "127.1" or "2130706433" as a name, but resolvers read them as IPv4.
    literal = IpAddress::parse(host);
    if (!literal && ends_in_number(host)) {
      return invalid(UrlDefect::kInvalidIpv4, "webhookUrl host is not a valid IPv4 address");
    }
    if (!literal && !is_dns_name(host)) {
      return invalid(UrlDefect::kInvalidHostName, "webhookUrl host is not a valid host name");
    }
  }

  uint16_t port = 443;
  // An empty port ("https://x.com:/") means the default one (RFC 3986, section 6.2.3).
  if (host_port->port && !host_port->port->empty()) {
    const auto number = parse_port(*host_port->port);
    if (!number)
      return invalid(UrlDefect::kInvalidPort, "webhookUrl port must be between 1 and 65535");
    port = *number;
  }

  std::string scheme = to_lower(view(uri.scheme()));
  if (scheme != "https") {
    return problem(UrlProblem::kUnsupportedProtocol, "webhookUrl must use https");
  }

  WebhookTarget target;
  target.scheme = std::move(scheme);
  target.host = to_lower(host);
  target.port = port;
  target.target = std::string(parts.path);
  if (target.target.empty()) target.target = "/";
  if (parts.query) {
    target.target += '?';
    target.target += *parts.query;
  }
  target.literal = literal;
  target.is_localhost = !literal && is_localhost_name(target.host);

  bool allowed = true;
  if (target.is_localhost) {
    // Resolvers may answer either family for localhost, so both must be allowed.
    allowed = guard.allows(IpAddress::v4(0x7f000001)) && guard.allows(loopback_v6());
  } else if (literal) {
    allowed = guard.allows(*literal);
  }
  if (!allowed) {
    return problem(UrlProblem::kForbiddenDestination,
                   "webhookUrl points to a forbidden destination");
  }

  UrlCheck check;
  check.target = std::move(target);
  return check;
}

}  // namespace hookd::security
