#include "delivery/tls_session_cache.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

namespace hookd::delivery {
namespace {

constexpr std::time_t kNow = 1'800'000'000;

// A session as a handshake leaves it: an id (so resumable), made at `made`, valid `lifetime` s.
SSL_SESSION* session(unsigned char id, std::time_t made = kNow, long lifetime = 7200) {
  SSL_SESSION* s = SSL_SESSION_new();
  const unsigned char bytes[] = {id, 1, 2, 3};
  SSL_SESSION_set1_id(s, bytes, sizeof bytes);
  SSL_SESSION_set_time(s, static_cast<long>(made));
  SSL_SESSION_set_timeout(s, lifetime);
  return s;
}

// The id's first byte of a taken session (0 for none), which it then frees.
unsigned char taken(TlsSessionCache& cache, const std::string& origin, std::time_t now = kNow) {
  SSL_SESSION* s = cache.take(origin, now);
  if (!s) return 0;
  unsigned int length = 0;
  const unsigned char* id = SSL_SESSION_get_id(s, &length);
  const unsigned char first = length > 0 ? id[0] : 0;
  SSL_SESSION_free(s);
  return first;
}

TEST(TlsSessionCacheTest, EachSessionIsTakenOnceNewestFirst) {
  TlsSessionCache cache;
  cache.put("a:443@1.2.3.4", session(1));
  cache.put("a:443@1.2.3.4", session(2));
  EXPECT_EQ(cache.sessions(), 2u);
  EXPECT_EQ(taken(cache, "a:443@1.2.3.4"), 2);
  EXPECT_EQ(taken(cache, "a:443@1.2.3.4"), 1);
  EXPECT_EQ(taken(cache, "a:443@1.2.3.4"), 0);
  EXPECT_EQ(cache.origins(), 0u);
}

TEST(TlsSessionCacheTest, OriginsKeepTheirOwnSessions) {
  TlsSessionCache cache;
  cache.put("a:443@1.2.3.4", session(1));
  cache.put("b:443@1.2.3.4", session(2));
  EXPECT_EQ(taken(cache, "a:443@1.2.3.5"), 0);
  EXPECT_EQ(taken(cache, "a:8443@1.2.3.4"), 0);
  EXPECT_EQ(taken(cache, "b:443@1.2.3.4"), 2);
  EXPECT_EQ(taken(cache, "a:443@1.2.3.4"), 1);
}

TEST(TlsSessionCacheTest, ASessionPastItsLifetimeOrTheCachesMaxAgeIsDropped) {
  TlsSessionCache cache(TlsSessionCache::Limits{.max_age = std::chrono::seconds(600)});
  cache.put("a", session(1, kNow - 100, 60));    // its own lifetime has passed
  cache.put("a", session(2, kNow - 700, 7200));  // older than max_age
  cache.put("a", session(3, kNow - 100, 7200));
  cache.put("a", session(4, kNow + 100, 7200));  // made in the future: the clock moved
  EXPECT_EQ(taken(cache, "a"), 3);
  EXPECT_EQ(taken(cache, "a"), 0);
  EXPECT_EQ(cache.sessions(), 0u);
}

TEST(TlsSessionCacheTest, ASessionThatCannotBeResumedIsNeverOffered) {
  TlsSessionCache cache;
  SSL_SESSION* without_id = SSL_SESSION_new();
  SSL_SESSION_set_time(without_id, static_cast<long>(kNow));
  SSL_SESSION_set_timeout(without_id, 7200);
  cache.put("a", without_id);
  EXPECT_EQ(cache.take("a", kNow), nullptr);
}

TEST(TlsSessionCacheTest, WhenFullTheOriginStoredIntoLongestAgoGivesUpItsOldest) {
  TlsSessionCache cache(TlsSessionCache::Limits{.max_sessions = 3});
  cache.put("a", session(1));
  cache.put("b", session(2));
  cache.put("a", session(3));  // a is now the one stored into last
  cache.put("c", session(4));  // full: b, stored into longest ago, gives up its only one
  EXPECT_EQ(cache.sessions(), 3u);
  EXPECT_EQ(cache.origins(), 2u);
  EXPECT_EQ(taken(cache, "b"), 0);
  cache.put("c", session(5));  // full: a gives up its oldest (1), keeps 3
  EXPECT_EQ(taken(cache, "a"), 3);
  EXPECT_EQ(taken(cache, "a"), 0);
  EXPECT_EQ(taken(cache, "c"), 5);
  EXPECT_EQ(taken(cache, "c"), 4);
  EXPECT_EQ(cache.sessions(), 0u);
}

// One busy origin keeps as many as it is given, up to the bound: every connection of a burst
// can resume.
TEST(TlsSessionCacheTest, ABusyOriginKeepsAsManyAsTheBoundAllows) {
  TlsSessionCache cache(TlsSessionCache::Limits{.max_sessions = 300});
  for (int i = 0; i < 300; ++i) cache.put("a", session(static_cast<unsigned char>(i % 250 + 1)));
  EXPECT_EQ(cache.sessions(), 300u);
  size_t resumable = 0;
  while (SSL_SESSION* s = cache.take("a", kNow)) {
    ++resumable;
    SSL_SESSION_free(s);
  }
  EXPECT_EQ(resumable, 300u);
}

}  // namespace
}  // namespace hookd::delivery
