#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "domain/tenancy.hpp"

namespace hookd::store {

// What matching needs to know of a device; the groups are valid until the next change to the
// directory.
struct DeviceView {
  domain::OrganizationId organization_id = 0;
  std::span<const domain::DeviceGroupId> group_ids;
};

// Every device with its organization and groups, for matching in memory. Compact because it
// holds every device of the fleet: most devices are in at most one group, and those in more
// keep the others aside. Not thread-safe: the store serialises its use.
class DeviceDirectory {
 public:
  // Adds the device, or replaces what was known of it.
  void put(domain::DeviceId id, domain::OrganizationId organization,
           std::vector<domain::DeviceGroupId> groups);
  void remove(domain::DeviceId id);
  // Adds `group` to a device already put; used while loading, memberships after devices.
  void add_group(domain::DeviceId id, domain::DeviceGroupId group);
  void clear();
  void reserve(size_t devices) { devices_.reserve(devices); }

  std::optional<DeviceView> find(domain::DeviceId id) const;
  size_t size() const { return devices_.size(); }

 private:
  struct Entry {
    domain::OrganizationId organization_id = 0;
    domain::DeviceGroupId first_group = 0;
    uint32_t group_count = 0;  // beyond the first, in more_groups_
  };
  std::unordered_map<domain::DeviceId, Entry> devices_;
  std::unordered_map<domain::DeviceId, std::vector<domain::DeviceGroupId>> more_groups_;
};

}  // namespace hookd::store
