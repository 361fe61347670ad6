#include "store/device_directory.hpp"

#include <algorithm>

namespace hookd::store {

void DeviceDirectory::put(domain::DeviceId id, domain::OrganizationId organization,
                          std::vector<domain::DeviceGroupId> groups) {
  remove(id);
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  Entry e;
  e.organization_id = organization;
  e.group_count = static_cast<uint32_t>(groups.size());
  if (!groups.empty()) e.first_group = groups[0];
  devices_.insert_or_assign(id, e);
  if (groups.size() > 1) more_groups_.insert_or_assign(id, std::move(groups));
}

void DeviceDirectory::remove(domain::DeviceId id) {
  devices_.erase(id);
  more_groups_.erase(id);
}

void DeviceDirectory::add_group(domain::DeviceId id, domain::DeviceGroupId group) {
  auto it = devices_.find(id);
  if (it == devices_.end()) return;
  Entry& e = it->second;
  if (e.group_count == 0) {
    e.first_group = group;
    e.group_count = 1;
    return;
  }
  std::vector<domain::DeviceGroupId>& all = more_groups_[id];
  if (all.empty()) all.push_back(e.first_group);
  if (std::find(all.begin(), all.end(), group) != all.end()) return;
  all.push_back(group);
  e.group_count = static_cast<uint32_t>(all.size());
}

void DeviceDirectory::clear() {
  devices_.clear();
  more_groups_.clear();
}

std::optional<DeviceView> DeviceDirectory::find(domain::DeviceId id) const {
  auto it = devices_.find(id);
  if (it == devices_.end()) return std::nullopt;
  const Entry& e = it->second;
  DeviceView view{e.organization_id, {}};
  if (e.group_count == 1) {
    view.group_ids = std::span<const domain::DeviceGroupId>(&e.first_group, 1);
  } else if (e.group_count > 1) {
    view.group_ids = more_groups_.at(id);
  }
  return view;
}

}  // namespace hookd::store
