#include "delivery/tls_session_cache.hpp"

#include <openssl/ssl.h>

#include <algorithm>

namespace hookd::delivery {

void TlsSessionCache::Free::operator()(SSL_SESSION* s) const { SSL_SESSION_free(s); }

TlsSessionCache::TlsSessionCache(Limits limits) : limits_(limits) {}
TlsSessionCache::~TlsSessionCache() = default;

bool TlsSessionCache::usable(SSL_SESSION* s, std::time_t now) const {
  if (SSL_SESSION_is_resumable(s) != 1) return false;
  const std::time_t made = static_cast<std::time_t>(SSL_SESSION_get_time(s));
  const std::time_t lifetime = std::min<std::time_t>(
      static_cast<std::time_t>(SSL_SESSION_get_timeout(s)), limits_.max_age.count());
  return now >= made && now - made < lifetime;
}

void TlsSessionCache::forget(std::map<std::string, Stored>::iterator it) {
  count_ -= it->second.sessions.size();
  by_stored_.erase(it->second.stored);
  by_origin_.erase(it);
}

void TlsSessionCache::put(const std::string& origin, SSL_SESSION* session) {
  Session owned(session);
  if (!owned || limits_.max_sessions == 0) return;
  if (count_ >= limits_.max_sessions) {
    // Full: the origin stored into longest ago gives up its oldest session.
    auto oldest = by_origin_.find(by_stored_.begin()->second);
    oldest->second.sessions.pop_front();
    --count_;
    if (oldest->second.sessions.empty()) forget(oldest);
  }
  auto [it, added] = by_origin_.try_emplace(origin);
  Stored& stored = it->second;
  if (!added) by_stored_.erase(stored.stored);
  stored.stored = ++puts_;
  by_stored_.emplace(stored.stored, origin);
  stored.sessions.push_back(std::move(owned));
  ++count_;
}

SSL_SESSION* TlsSessionCache::take(const std::string& origin, std::time_t now) {
  auto it = by_origin_.find(origin);
  if (it == by_origin_.end()) return nullptr;
  Stored& stored = it->second;
  SSL_SESSION* found = nullptr;
  while (!stored.sessions.empty() && !found) {
    Session newest = std::move(stored.sessions.back());
    stored.sessions.pop_back();
    --count_;
    if (usable(newest.get(), now)) found = newest.release();
  }
  if (stored.sessions.empty()) forget(it);
  return found;
}

}  // namespace hookd::delivery
