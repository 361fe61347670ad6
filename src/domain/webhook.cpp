#include "domain/webhook.hpp"

namespace hookd::domain {

std::string_view webhook_status_name(WebhookStatus status) {
  return status == WebhookStatus::kEnabled ? "enabled" : "disabled";
}

}  // namespace hookd::domain
