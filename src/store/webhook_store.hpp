#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "domain/event.hpp"
#include "domain/tenancy.hpp"
#include "domain/webhook.hpp"

namespace hookd::store {

// Creating one more webhook would take its organization past
// StoreOptions::webhooks_per_organization; nothing was stored.
struct WebhookLimitExceeded : std::runtime_error {
  explicit WebhookLimitExceeded(int64_t limit_)
      : std::runtime_error("webhook limit exceeded"), limit(limit_) {}
  int64_t limit;
};

struct WebhookQuery {
  std::optional<domain::OrganizationId> organization;  // empty: every organization
  int64_t offset = 0;
  int64_t size = 50;
};

// Webhooks: created, read, changed, deleted; their secrets rotated; a test event queued.
class WebhookStore {
 public:
  virtual ~WebhookStore() = default;

  // Inserts `webhook` (its id is ignored) and returns it with the id the database gave it.
  // Throws WebhookLimitExceeded when its organization holds webhooks_per_organization already.
  virtual domain::Webhook create_webhook(const domain::Webhook& webhook) = 0;
  virtual std::optional<domain::Webhook> find_webhook(domain::WebhookId id) = 0;
  // Newest first.
  virtual std::vector<domain::Webhook> list_webhooks(const WebhookQuery& query) = 0;
  // Replaces every mutable field; false when the webhook no longer exists.
  virtual bool update_webhook(const domain::Webhook& webhook) = 0;
  virtual bool delete_webhook(domain::WebhookId id) = 0;

  // Makes `new_secret` the webhook's signing secret; the one it replaces keeps signing beside
  // it until `old_valid_until`. False when the webhook does not exist.
  virtual bool rotate_secret(domain::WebhookId webhook, const std::string& new_secret,
                             TimePoint old_valid_until, TimePoint now) = 0;
  // Stores `event` (for the webhook's organization, no device) with one pending delivery to
  // this webhook alone. False when the webhook does not exist.
  virtual bool queue_test_event(domain::WebhookId webhook, const domain::Event& event,
                                TimePoint now) = 0;
};

}  // namespace hookd::store
