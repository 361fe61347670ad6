// The in-memory device directory alone: no database.
#include "store/device_directory.hpp"

#include <gtest/gtest.h>

namespace hookd::store {
namespace {

std::vector<domain::DeviceGroupId> groups_of(const DeviceDirectory& d, domain::DeviceId id) {
  const auto view = d.find(id);
  if (!view) return {};
  return {view->group_ids.begin(), view->group_ids.end()};
}

TEST(DeviceDirectory, KeepsEachDevicesOrganizationAndGroups) {
  DeviceDirectory d;
  d.put(85, 6, {});
  d.put(86, 6, {40});
  d.put(87, 7, {42, 41, 42});
  EXPECT_EQ(d.find(85)->organization_id, 6);
  EXPECT_TRUE(d.find(85)->group_ids.empty());
  EXPECT_EQ(groups_of(d, 86), (std::vector<domain::DeviceGroupId>{40}));
  EXPECT_EQ(d.find(87)->organization_id, 7);
  EXPECT_EQ(groups_of(d, 87), (std::vector<domain::DeviceGroupId>{41, 42}));
  EXPECT_FALSE(d.find(88));
  EXPECT_EQ(d.size(), 3u);
}

TEST(DeviceDirectory, PutReplacesAndRemoveForgets) {
  DeviceDirectory d;
  d.put(85, 6, {40, 41});
  d.put(85, 7, {50});
  EXPECT_EQ(d.find(85)->organization_id, 7);
  EXPECT_EQ(groups_of(d, 85), (std::vector<domain::DeviceGroupId>{50}));
  d.put(85, 7, {});
  EXPECT_TRUE(groups_of(d, 85).empty());
  d.remove(85);
  EXPECT_FALSE(d.find(85));
  d.remove(85);  // forgetting an unknown device is no error
}

TEST(DeviceDirectory, GroupsAddedOneByOneAsWhenLoading) {
  DeviceDirectory d;
  d.put(85, 6, {});
  d.add_group(85, 41);
  EXPECT_EQ(groups_of(d, 85), (std::vector<domain::DeviceGroupId>{41}));
  d.add_group(85, 40);
  d.add_group(85, 41);  // twice: once
  d.add_group(85, 42);
  EXPECT_EQ(groups_of(d, 85), (std::vector<domain::DeviceGroupId>{41, 40, 42}));
  d.add_group(99, 40);  // an unknown device: ignored
  EXPECT_FALSE(d.find(99));
}

}  // namespace
}  // namespace hookd::store
