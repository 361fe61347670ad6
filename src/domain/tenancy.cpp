#include "domain/tenancy.hpp"

namespace hookd::domain {

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kRead:
      return "read";
    case Role::kPlatform:
      return "platform";
  }
  return {};
}

std::optional<Role> parse_role(std::string_view name) {
  for (Role r : {Role::kAdmin, Role::kRead, Role::kPlatform}) {
    if (role_name(r) == name) return r;
  }
  return std::nullopt;
}

}  // namespace hookd::domain
