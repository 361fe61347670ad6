#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "domain/tenancy.hpp"

namespace hookd::security {

// Recently verified tokens, by hash, so that a busy client costs one database read per TTL
// instead of one per request. A revocation through this process clears it at once; another
// process (on a shared database) sees it within the TTL.
class TokenCache {
 public:
  using Clock = std::chrono::steady_clock;

  explicit TokenCache(std::chrono::milliseconds ttl = std::chrono::seconds(5),
                      size_t max_entries = 10'000)
      : ttl_(ttl), max_entries_(max_entries) {}

  std::optional<domain::Principal> find(const std::string& token_hash, Clock::time_point now);
  void put(const std::string& token_hash, const domain::Principal& principal,
           Clock::time_point now);
  void clear();

 private:
  struct Entry {
    domain::Principal principal;
    Clock::time_point expires;
  };
  const std::chrono::milliseconds ttl_;
  const size_t max_entries_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace hookd::security
