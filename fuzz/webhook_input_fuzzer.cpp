// POST and PUT /v2/webhooks bodies (api::parse_webhook_input). The first byte picks create or
// update; the rest is the body.
#include <algorithm>

#include "api/webhook_input.hpp"
#include "fuzz_support.hpp"
#include "security/webhook_url.hpp"

using namespace hookd;

namespace {

bool sorted_unique(const std::vector<int64_t>& ids) {
  return std::adjacent_find(ids.begin(), ids.end(), [](int64_t a, int64_t b) { return a >= b; }) ==
         ids.end();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto mode = (data[0] & 1) ? api::WebhookInputMode::kUpdate : api::WebhookInputMode::kCreate;
  const std::string_view body = fuzz::as_text(data + 1, size - 1);
  // 10.0.0.0/8 let through, as an operator's allow_targets would.
  static const security::DestinationGuard guard({*security::Cidr::parse("10.0.0.0/8")});
  api::WebhookInput in;
  try {
    in = api::parse_webhook_input(body, mode, guard);
  } catch (const api::ApiError& e) {
    fuzz::check_client_error(e);
    return 0;
  }
  if (mode == api::WebhookInputMode::kCreate) {
    FUZZ_CHECK(in.organization_id && in.url && in.topics);
    FUZZ_CHECK(!in.status);
  }
  if (in.organization_id) FUZZ_CHECK(*in.organization_id > 0);
  if (in.device_ids) {
    FUZZ_CHECK(in.device_ids->size() <= api::kMaxDeviceIds && sorted_unique(*in.device_ids));
    FUZZ_CHECK(in.device_ids->empty() || in.device_ids->front() > 0);
  }
  if (in.device_group_ids) {
    FUZZ_CHECK(in.device_group_ids->size() <= api::kMaxDeviceGroupIds &&
               sorted_unique(*in.device_group_ids));
    FUZZ_CHECK(in.device_group_ids->empty() || in.device_group_ids->front() > 0);
  }
  if (in.topics) FUZZ_CHECK(!in.topics->empty());
  if (in.secret_http) {
    FUZZ_CHECK(in.secret_http_present);
    FUZZ_CHECK(!in.secret_http->empty() && in.secret_http->size() <= api::kMaxSecretHttpBytes);
    for (char c : *in.secret_http) FUZZ_CHECK(c >= 0x20 && c <= 0x7e);
  }
  if (in.url) {
    // An accepted URL is one the check accepts again: https, a host, a destination allowed.
    const auto check = security::check_webhook_url(*in.url, guard);
    FUZZ_CHECK(check.problem == security::UrlProblem::kNone && check.target);
    FUZZ_CHECK(check.target->scheme == "https" && !check.target->host.empty());
  }
  return 0;
}
