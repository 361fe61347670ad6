// The webhookUrl check (security::check_webhook_url). The first byte picks the guard: the
// default one, or one that lets loopback through as tests configure it.
#include "fuzz_support.hpp"
#include "security/webhook_url.hpp"

using namespace hookd;

namespace {

bool fits_request_line(std::string_view s) {
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const security::DestinationGuard strict;
  static const security::DestinationGuard loopback(
      {*security::Cidr::parse("127.0.0.0/8"), *security::Cidr::parse("::1/128")});
  const security::DestinationGuard& guard = (data[0] & 1) ? loopback : strict;
  const std::string_view url = fuzz::as_text(data + 1, size - 1);

  const security::UrlCheck check = security::check_webhook_url(url, guard);
  if (check.problem != security::UrlProblem::kNone) {
    FUZZ_CHECK(!check.target && !check.detail.empty());
    return 0;
  }
  FUZZ_CHECK(url.size() <= security::kMaxWebhookUrlLength);
  FUZZ_CHECK(check.target);
  const security::WebhookTarget& t = *check.target;
  // Accepted: https with a host, a port, and a host and target that travel in a request line
  // and a Host header as they are.
  FUZZ_CHECK(t.scheme == "https");
  FUZZ_CHECK(!t.host.empty() && fits_request_line(t.host));
  FUZZ_CHECK(t.host.find_first_of("@/?#%") == std::string::npos);
  for (char c : t.host) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
  FUZZ_CHECK(t.port >= 1);
  FUZZ_CHECK(t.target.starts_with('/') && fits_request_line(t.target));
  if (t.literal) FUZZ_CHECK(guard.allows(*t.literal) && !t.is_localhost);
  if (t.is_localhost) FUZZ_CHECK(&guard == &loopback);
  if (&guard == &strict && t.literal) FUZZ_CHECK(security::is_public_address(*t.literal));

  // The URL put back together from its parts is accepted with the same parts.
  const std::string again = "https://" + t.host + ":" + std::to_string(t.port) + t.target;
  const security::UrlCheck recheck = security::check_webhook_url(again, guard);
  FUZZ_CHECK(recheck.problem == security::UrlProblem::kNone && recheck.target);
  FUZZ_CHECK(recheck.target->host == t.host && recheck.target->port == t.port);
  FUZZ_CHECK(recheck.target->target == t.target && recheck.target->literal == t.literal);
  return 0;
}
