#pragma once

#include <vector>

#include "security/ip_address.hpp"

namespace hookd::security {

// Decides which addresses hookd may send webhooks to: public addresses, plus whatever the
// operator lets through with delivery.allow_targets (tests, private setups).
class DestinationGuard {
 public:
  explicit DestinationGuard(std::vector<Cidr> allow_targets = {});

  // Allowed when inside an allow_targets range, else when is_public_address.
  bool allows(const IpAddress& address) const;
  // True only when the list is non-empty and every address is allowed, so a host name that
  // resolves to one public and one private address is refused.
  bool allows_all(const std::vector<IpAddress>& addresses) const;

  const std::vector<Cidr>& allow_targets() const { return allow_targets_; }

 private:
  std::vector<Cidr> allow_targets_;
};

}  // namespace hookd::security
