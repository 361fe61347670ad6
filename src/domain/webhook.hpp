#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "domain/tenancy.hpp"
#include "domain/topic.hpp"

namespace hookd::domain {

using WebhookId = int64_t;

enum class WebhookStatus { kEnabled, kDisabled };

std::string_view webhook_status_name(WebhookStatus status);

// A registered webhook. `secret_hmac` signs deliveries; `secret_http` is the optional
// simple secret sent verbatim. Neither is ever returned by the API after creation.
struct Webhook {
  WebhookId id = 0;
  OrganizationId organization_id = 0;
  std::vector<DeviceId> device_ids;             // sorted, unique
  std::vector<DeviceGroupId> device_group_ids;  // sorted, unique
  std::string url;
  TopicSet topics;
  std::string secret_hmac;
  std::optional<std::string> secret_http;
  WebhookStatus status = WebhookStatus::kEnabled;
  std::optional<std::string> disabled_reason;
  TimePoint created_at;
  TimePoint modified_at;

  // With neither devices nor groups, a webhook covers the whole organization.
  bool organization_wide() const { return device_ids.empty() && device_group_ids.empty(); }
};

}  // namespace hookd::domain
