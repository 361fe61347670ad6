#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/tenancy.hpp"

namespace hookd::store {

// A live token as stored: what it grants and the hash it is kept under.
struct TokenRecord {
  domain::Principal principal;
  std::string token_hash;
};

// The API's tokens, by hash only.
class TokenStore {
 public:
  virtual ~TokenStore() = default;

  // Tokens are stored and looked up by hash only.
  virtual domain::TokenId create_token(domain::Role role,
                                       std::optional<domain::OrganizationId> organization,
                                       std::string_view token_hash) = 0;
  // A portal session's token: one organization, admin or read, refused from `expires_at` on.
  virtual domain::TokenId create_portal_session(domain::Role role,
                                                domain::OrganizationId organization,
                                                std::string_view token_hash,
                                                TimePoint expires_at) = 0;
  // Not revoked. A portal session comes with its expiry, which the caller judges
  // (domain::Principal::expired), for a cached token as for a found one.
  virtual std::optional<TokenRecord> find_active_token(std::string_view token_hash) = 0;
  virtual bool revoke_token(domain::TokenId id) = 0;
};

}  // namespace hookd::store
