#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "domain/tenancy.hpp"

namespace hookd::store {

// What putting a device or a group can run into, besides success.
struct PutOutcome {
  enum class Kind { kOk, kOrganizationNotFound, kDeviceNotFound } kind = Kind::kOk;
  int64_t missing_id = 0;  // the organization or device that was not found
  bool created = false;
};

// Organizations, their devices and device groups, as the platform puts them.
class TenancyStore {
 public:
  virtual ~TenancyStore() = default;

  virtual bool put_organization(const domain::Organization& organization) = 0;  // true: created
  virtual bool organization_exists(domain::OrganizationId id) = 0;
  virtual PutOutcome put_device(const domain::Device& device) = 0;
  virtual bool delete_device(domain::DeviceId id) = 0;
  virtual PutOutcome put_device_group(const domain::DeviceGroup& group) = 0;
  virtual bool delete_device_group(domain::DeviceGroupId id) = 0;

  // The first of `ids` that is not a device (group) of `organization`, if any.
  virtual std::optional<domain::DeviceId> first_missing_device(
      domain::OrganizationId organization, const std::vector<domain::DeviceId>& ids) = 0;
  virtual std::optional<domain::DeviceGroupId> first_missing_device_group(
      domain::OrganizationId organization, const std::vector<domain::DeviceGroupId>& ids) = 0;
};

}  // namespace hookd::store
