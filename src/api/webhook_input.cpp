#include "api/webhook_input.hpp"

#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "security/webhook_url.hpp"

namespace hookd::api {
namespace {

bool is_header_safe(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

WebhookInput parse_webhook_input(std::string_view body, WebhookInputMode mode,
                                 const security::DestinationGuard& guard) {
  const bool create = mode == WebhookInputMode::kCreate;
  const boost::json::object o = json_body::parse_object(body);

  // 1. Shapes and types of every field.
  WebhookInput in;
  in.organization_id = create ? json_body::required_id(o, "organizationId")
                              : json_body::optional_id(o, "organizationId");
  in.device_ids = json_body::optional_id_list(o, "deviceIds", kMaxDeviceIds);
  in.device_group_ids = json_body::optional_id_list(o, "deviceGroupIds", kMaxDeviceGroupIds);
  in.url = create ? json_body::required_string(o, "webhookUrl", body.size())
                  : json_body::optional_string(o, "webhookUrl", body.size());
  auto topic_names = json_body::optional_string_list(o, "topics", kMaxTopicEntries, 64);
  if (create && !topic_names) throw errors::invalid_body("topics is required");
  if (topic_names && topic_names->empty()) throw errors::invalid_body("topics must not be empty");
  if (o.contains("secretHttp")) {
    in.secret_http_present = true;
    if (!json_body::is_null(o, "secretHttp")) {
      in.secret_http = json_body::optional_string(o, "secretHttp", kMaxSecretHttpBytes);
      if (in.secret_http->empty() || !is_header_safe(*in.secret_http)) {
        throw errors::invalid_body("secretHttp must be 1 to 256 printable ASCII characters");
      }
    } else if (create) {
      in.secret_http_present = false;
    }
  }
  if (!create) {
    if (auto status = json_body::optional_string(o, "status", 16)) {
      if (*status == "enabled") {
        in.status = domain::WebhookStatus::kEnabled;
      } else if (*status == "disabled") {
        in.status = domain::WebhookStatus::kDisabled;
      } else {
        throw errors::invalid_body("status must be \"enabled\" or \"disabled\"");
      }
    }
  }

  // 2. The URL: well-formed, then https, then a destination the guard allows.
  if (in.url) {
    const security::UrlCheck check = security::check_webhook_url(*in.url, guard);
    switch (check.problem) {
      case security::UrlProblem::kNone:
        break;
      case security::UrlProblem::kInvalid:
        throw errors::invalid_url(check.detail);
      case security::UrlProblem::kUnsupportedProtocol:
        throw errors::unsupported_protocol();
      case security::UrlProblem::kForbiddenDestination:
        throw errors::forbidden_destination();
    }
  }

  // 3. Topics; duplicates collapse.
  if (topic_names) {
    domain::TopicSet topics;
    for (const std::string& name : *topic_names) {
      auto topic = domain::parse_topic(name);
      if (!topic) throw errors::unsupported_topic(name);
      topics.add(*topic);
    }
    in.topics = topics;
  }
  return in;
}

}  // namespace hookd::api
