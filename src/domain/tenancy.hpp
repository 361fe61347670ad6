#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"

namespace hookd::domain {

using OrganizationId = int64_t;
using DeviceId = int64_t;
using DeviceGroupId = int64_t;
using TokenId = int64_t;

enum class Role { kAdmin, kRead, kPlatform };

std::string_view role_name(Role role);
std::optional<Role> parse_role(std::string_view name);

// What a bearer token grants, as read from the store.
struct Principal {
  TokenId token_id = 0;
  Role role = Role::kRead;
  std::optional<OrganizationId> organization;  // empty only for platform tokens
  // A portal session: valid on its organization's /v2/webhooks routes only, until it expires.
  bool portal_session = false;
  std::optional<TimePoint> expires_at;

  bool expired(TimePoint now) const { return expires_at && *expires_at <= now; }

  bool can_see(OrganizationId org) const { return role == Role::kPlatform || organization == org; }
  bool can_write(OrganizationId org) const { return can_see(org) && role != Role::kRead; }
};

struct Organization {
  OrganizationId id = 0;
  std::string name;
};

struct Device {
  DeviceId id = 0;
  OrganizationId organization_id = 0;
  std::string name;
};

// A device put into another organization than the one it was in: it leaves that organization's
// groups and webhooks, which must never match it again.
inline bool leaves_organization(std::optional<OrganizationId> before, OrganizationId after) {
  return before && *before != after;
}

struct DeviceGroup {
  DeviceGroupId id = 0;
  OrganizationId organization_id = 0;
  std::string name;
  std::vector<DeviceId> device_ids;
};

}  // namespace hookd::domain
