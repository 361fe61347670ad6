#include "security/token_cache.hpp"

namespace hookd::security {

std::optional<domain::Principal> TokenCache::find(const std::string& token_hash,
                                                  Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(token_hash);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.principal;
}

void TokenCache::put(const std::string& token_hash, const domain::Principal& principal,
                     Clock::time_point now) {
  std::lock_guard lock(mutex_);
  // A bound, not an LRU: past it the cache starts over, which costs one read per token.
  if (entries_.size() >= max_entries_) entries_.clear();
  entries_[token_hash] = Entry{principal, now + ttl_};
}

void TokenCache::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

}  // namespace hookd::security
