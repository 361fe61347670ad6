#include "api/auth.hpp"

#include "api/errors.hpp"
#include "security/secrets.hpp"
#include "security/token_cache.hpp"
#include "store/store.hpp"

namespace hookd::api {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

domain::Principal authenticate(const http::RequestHead& head, store::Store& store,
                               security::TokenCache& cache, const Clock& clock) {
  if (!head.has_authorization) throw errors::invalid_token();
  std::string_view value = head.authorization;
  const size_t space = value.find(' ');
  if (space == std::string_view::npos || !iequals(value.substr(0, space), "bearer")) {
    throw errors::invalid_token();
  }
  std::string_view token = value.substr(space + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (!security::is_well_formed_token(token)) throw errors::invalid_token();

  // Lower-case hex so that the hash does not depend on how the client spelled the token.
  std::string normalized(token);
  for (char& c : normalized) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  const std::string hash = security::hash_token(normalized);
  const auto now = security::TokenCache::Clock::now();
  // A cached session still ends at its own expiry, not the cache entry's.
  if (auto cached = cache.find(hash, now)) {
    if (cached->expired(clock.now())) throw errors::invalid_token();
    return *cached;
  }
  auto record = store.find_active_token(hash);
  // The index lookup finds the row; the final word is a constant-time comparison.
  if (!record || !security::constant_time_equal(record->token_hash, hash)) {
    throw errors::invalid_token();
  }
  if (record->principal.expired(clock.now())) throw errors::invalid_token();
  cache.put(hash, record->principal, now);
  return record->principal;
}

}  // namespace hookd::api
