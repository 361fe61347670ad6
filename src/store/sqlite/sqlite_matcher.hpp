#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "domain/tenancy.hpp"
#include "domain/topic.hpp"
#include "store/matching_index.hpp"

namespace hookd::store::sqlite {

class Connection;

// What matching reads of an event's device, live from the database.
struct DeviceFacts {
  domain::OrganizationId organization_id = 0;
  std::vector<domain::DeviceGroupId> group_ids;
};

// Matching for SqliteStore::ingest: the webhooks in a MatchingIndex, kept exact through the
// changes migration 7 records (webhook_changes), and the device's organization and groups
// read from the database. Used under the store's write lock only.
class SqliteMatcher {
 public:
  // Brings the index up to what `c` sees: every webhook the first time, then only the
  // webhooks changed since the generation last seen. Call in the ingest's transaction.
  void refresh(Connection& c);

  // The device's organization and groups; empty when there is no such device.
  static std::optional<DeviceFacts> device(Connection& c, domain::DeviceId id);

  // Appends the webhooks an event of `topic` from `device` goes to, each once.
  void match(domain::DeviceId device, const DeviceFacts& facts, domain::Topic topic,
             std::vector<WebhookMatch>& out) const {
    index_.match(device, facts.organization_id, facts.group_ids, topic, out);
  }

  const MatchingIndex& index() const { return index_; }

 private:
  void load_all(Connection& c);

  MatchingIndex index_;
  std::optional<int64_t> generation_;  // empty: nothing loaded yet
};

}  // namespace hookd::store::sqlite
