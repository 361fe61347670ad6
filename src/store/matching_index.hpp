#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "domain/tenancy.hpp"
#include "domain/topic.hpp"
#include "domain/webhook.hpp"

namespace hookd::store {

// What matching needs to know of one webhook.
struct MatchableWebhook {
  domain::WebhookId id = 0;
  domain::OrganizationId organization_id = 0;
  domain::TopicSet topics;
  bool enabled = true;
  std::vector<domain::DeviceId> device_ids;
  std::vector<domain::DeviceGroupId> device_group_ids;
  // Every device of the organization. Stored, not derived from empty lists: a webhook whose
  // last device was deleted covers no device at all.
  bool organization_wide = false;
};

// A webhook an event goes to.
struct WebhookMatch {
  domain::WebhookId webhook_id = 0;
  bool enabled = true;  // false: the delivery is stored as skipped
  friend bool operator==(const WebhookMatch&, const WebhookMatch&) = default;
};

// Every webhook, reachable from the devices, groups and organizations it covers, so that
// matching an event is a few hash look-ups whatever the number of webhooks that do not match.
// Not thread-safe: the store serialises its use.
class MatchingIndex {
 public:
  // Adds the webhook, or replaces what was known of it.
  void put(const MatchableWebhook& webhook);
  void remove(domain::WebhookId id);
  void clear();

  // Appends to `out`, in webhook id order and each once, the webhooks an event of `topic`
  // from `device` goes to: those of its organization naming the device, naming one of its
  // `groups`, or covering the whole organization, whose topics include `topic`.
  void match(domain::DeviceId device, domain::OrganizationId organization,
             std::span<const domain::DeviceGroupId> groups, domain::Topic topic,
             std::vector<WebhookMatch>& out) const;

  size_t size() const { return webhooks_.size(); }

 private:
  // One webhook as a device, group or organization lists it: enough to filter without a
  // second look-up.
  struct Posting {
    domain::WebhookId id = 0;
    domain::OrganizationId organization_id = 0;
    uint32_t topics = 0;
    bool enabled = true;
  };
  using Postings = std::vector<Posting>;

  static void add_to(Postings& list, const Posting& p);
  template <typename Map>
  static void remove_from(Map& map, int64_t key, domain::WebhookId id);

  std::unordered_map<domain::WebhookId, MatchableWebhook> webhooks_;
  std::unordered_map<domain::DeviceId, Postings> by_device_;
  std::unordered_map<domain::DeviceGroupId, Postings> by_group_;
  std::unordered_map<domain::OrganizationId, Postings> organization_wide_;
};

}  // namespace hookd::store
