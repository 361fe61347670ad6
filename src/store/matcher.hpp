#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "domain/tenancy.hpp"
#include "domain/topic.hpp"
#include "store/device_directory.hpp"
#include "store/matching_index.hpp"

namespace hookd::store {

// Beyond this many changed webhooks and devices, a refresh reads everything again: about as
// cheap as reading them by their ids, and it bounds the work of one refresh.
inline constexpr int64_t kMaxMatchingChangesByIds = 10'000;

// Matching for a store's ingest, in memory: the webhooks in a MatchingIndex and every device's
// organization and groups in a DeviceDirectory. Each backend's matcher derives from it and
// keeps both exact through the changes migration 7 records (webhook_changes, device_changes),
// with a refresh() at the start of every ingest transaction. Not thread-safe: the store
// serialises its use.
class Matcher {
 public:
  // The device's organization and groups; empty when there is no such device.
  std::optional<DeviceView> device(domain::DeviceId id) const { return devices_.find(id); }

  // Appends the webhooks an event of `topic` from `device` goes to, each once.
  void match(domain::DeviceId device, const DeviceView& facts, domain::Topic topic,
             std::vector<WebhookMatch>& out) const {
    webhooks_.match(device, facts.organization_id, facts.group_ids, topic, out);
  }

  const MatchingIndex& webhooks() const { return webhooks_; }
  const DeviceDirectory& devices() const { return devices_; }

 protected:
  MatchingIndex webhooks_;
  DeviceDirectory devices_;
  std::optional<int64_t> generation_;  // empty: nothing loaded yet
};

}  // namespace hookd::store
