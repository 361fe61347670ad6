#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "domain/tenancy.hpp"
#include "domain/topic.hpp"
#include "store/matching_index.hpp"

namespace hookd::store::postgres {

class Connection;

// What matching reads of an event's device, live from the database.
struct DeviceFacts {
  domain::OrganizationId organization_id = 0;
  std::vector<domain::DeviceGroupId> group_ids;
};

// The devices of one request, in its order; `missing` names the first unknown one.
struct RequestDevices {
  std::vector<DeviceFacts> facts;
  std::optional<domain::DeviceId> missing;
};

// Matching for PostgresStore::ingest: the webhooks in a MatchingIndex, kept exact through the
// changes migration 7 records (webhook_changes, numbered in commit order whichever process
// made them), and the devices' organizations and groups read from the database.
// Not thread-safe: the store serialises its use.
class PostgresMatcher {
 public:
  // Brings the index up to what `c` sees now: every webhook the first time, then only the
  // webhooks changed since the generation last seen. Call in the ingest's transaction.
  void refresh(Connection& c);

  // Every device of `ids` with its organization and groups, in one query.
  static RequestDevices devices(Connection& c, const std::vector<int64_t>& ids);

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

}  // namespace hookd::store::postgres
