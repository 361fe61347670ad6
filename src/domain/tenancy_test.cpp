#include "domain/tenancy.hpp"

#include <gtest/gtest.h>

namespace hookd::domain {
namespace {

TEST(DeviceMove, ADeviceLeavesOnlyWhenItChangesOrganization) {
  EXPECT_TRUE(leaves_organization(6, 7));
  EXPECT_FALSE(leaves_organization(6, 6));
  EXPECT_FALSE(leaves_organization(std::nullopt, 6));
}

TEST(Principal, ARoleSeesAndWritesOnlyWhatItMay) {
  const Principal admin{1, Role::kAdmin, 6};
  const Principal read{2, Role::kRead, 6};
  const Principal platform{3, Role::kPlatform, std::nullopt};
  EXPECT_TRUE(admin.can_write(6));
  EXPECT_FALSE(admin.can_see(7));
  EXPECT_TRUE(read.can_see(6));
  EXPECT_FALSE(read.can_write(6));
  EXPECT_TRUE(platform.can_write(7));
}

}  // namespace
}  // namespace hookd::domain
