#include "api/webhook_input.hpp"

#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "api/message_catalog.hpp"
#include "security/webhook_url.hpp"

namespace hookd::api {
namespace {

bool is_header_safe(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

MessageKey message_of(security::UrlDefect defect) {
  using security::UrlDefect;
  switch (defect) {
    case UrlDefect::kTooLong:
      return message_key("url.too_long");
    case UrlDefect::kNotAbsolute:
      return message_key("url.not_absolute");
    case UrlDefect::kNoHost:
      return message_key("url.no_host");
    case UrlDefect::kCredentials:
      return message_key("url.credentials");
    case UrlDefect::kFragment:
      return message_key("url.fragment");
    case UrlDefect::kInvalidIpv6:
      return message_key("url.ipv6");
    case UrlDefect::kPercentEncoded:
      return message_key("url.percent_encoded");
    case UrlDefect::kInvalidIpv4:
      return message_key("url.ipv4");
    case UrlDefect::kInvalidHostName:
      return message_key("url.host_name");
    case UrlDefect::kInvalidPort:
      return message_key("url.port");
    case UrlDefect::kHostOrPort:
    case UrlDefect::kNone:
      break;
  }
  return message_key("url.host_or_port");
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
  if (create && !topic_names) {
    throw errors::invalid_body(Message(message_key("body.required")).with("field", "topics"));
  }
  if (topic_names && topic_names->empty()) {
    throw errors::invalid_body(Message(message_key("body.not_empty")).with("field", "topics"));
  }
  if (o.contains("secretHttp")) {
    in.secret_http_present = true;
    if (!json_body::is_null(o, "secretHttp")) {
      in.secret_http = json_body::optional_string(o, "secretHttp", kMaxSecretHttpBytes);
      if (in.secret_http->empty() || !is_header_safe(*in.secret_http)) {
        throw errors::invalid_body(Message(message_key("body.printable_ascii"))
                                       .with("field", "secretHttp")
                                       .with("max", std::to_string(kMaxSecretHttpBytes)));
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
        throw errors::invalid_body(Message(message_key("body.one_of"))
                                       .with("field", "status")
                                       .with("choices", R"("enabled", "disabled")"));
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
        throw errors::invalid_url(Message(message_of(check.defect))
                                      .with("max", std::to_string(security::kMaxWebhookUrlLength)));
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
