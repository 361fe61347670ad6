#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "domain/tenancy.hpp"
#include "domain/topic.hpp"
#include "store/device_directory.hpp"
#include "store/matching_index.hpp"

namespace hookd::store::postgres {

class Connection;

// Matching for PostgresStore::ingest, in memory: the webhooks in a MatchingIndex and every
// device's organization and groups in a DeviceDirectory, kept exact through the changes
// migration 7 records (webhook_changes, device_changes, numbered in commit order whichever
// process made them). Not thread-safe: the store serialises its use.
class PostgresMatcher {
 public:
  // Brings both up to what `c` sees now: everything the first time, then only the webhooks
  // and devices changed since the generation last seen. Call in the ingest's transaction.
  void refresh(Connection& c);

  // The device's organization and groups; empty when there is no such device.
  std::optional<DeviceView> device(domain::DeviceId id) const { return devices_.find(id); }

  // Appends the webhooks an event of `topic` from `device` goes to, each once.
  void match(domain::DeviceId device, const DeviceView& facts, domain::Topic topic,
             std::vector<WebhookMatch>& out) const {
    webhooks_.match(device, facts.organization_id, facts.group_ids, topic, out);
  }

  const MatchingIndex& webhooks() const { return webhooks_; }
  const DeviceDirectory& devices() const { return devices_; }

 private:
  void load_all(Connection& c);

  MatchingIndex webhooks_;
  DeviceDirectory devices_;
  std::optional<int64_t> generation_;  // empty: nothing loaded yet
};

}  // namespace hookd::store::postgres
