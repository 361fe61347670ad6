#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/topic.hpp"
#include "domain/webhook.hpp"

namespace hookd::security {
class DestinationGuard;
}

namespace hookd::api {

inline constexpr size_t kMaxDeviceIds = 1000;
inline constexpr size_t kMaxDeviceGroupIds = 1000;
inline constexpr size_t kMaxTopicEntries = 16;
inline constexpr size_t kMaxSecretHttpBytes = 256;

// The fields of a create or update body that were present, validated.
struct WebhookInput {
  std::optional<domain::OrganizationId> organization_id;
  std::optional<std::vector<domain::DeviceId>> device_ids;
  std::optional<std::vector<domain::DeviceGroupId>> device_group_ids;
  std::optional<std::string> url;
  std::optional<domain::TopicSet> topics;
  bool secret_http_present = false;  // with secret_http empty: clear it
  std::optional<std::string> secret_http;
  std::optional<domain::WebhookStatus> status;
};

enum class WebhookInputMode { kCreate, kUpdate };

// Parses and checks a body in the contract's order of errors: InvalidRequestBody,
// WebhookInvalidUrl, WebhookUnsupportedProtocol, WebhookForbiddenDestination, UnsupportedTopic.
// Rights and the existence of devices and groups need the store and are checked by the caller.
// Throws ApiError.
WebhookInput parse_webhook_input(std::string_view body, WebhookInputMode mode,
                                 const security::DestinationGuard& guard);

}  // namespace hookd::api
