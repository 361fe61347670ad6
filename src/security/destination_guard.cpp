#include "security/destination_guard.hpp"

#include <algorithm>
#include <utility>

namespace hookd::security {

DestinationGuard::DestinationGuard(std::vector<Cidr> allow_targets)
    : allow_targets_(std::move(allow_targets)) {}

bool DestinationGuard::allows(const IpAddress& address) const {
  const bool listed = std::any_of(allow_targets_.begin(), allow_targets_.end(),
                                  [&address](const Cidr& cidr) { return cidr.contains(address); });
  return listed || is_public_address(address);
}

bool DestinationGuard::allows_all(const std::vector<IpAddress>& addresses) const {
  // No address at all means nothing was checked, which must not pass as "all allowed".
  if (addresses.empty()) return false;
  return std::all_of(addresses.begin(), addresses.end(),
                     [this](const IpAddress& address) { return allows(address); });
}

}  // namespace hookd::security
