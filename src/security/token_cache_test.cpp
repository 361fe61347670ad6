#include "security/token_cache.hpp"

#include <gtest/gtest.h>

namespace hookd::security {
namespace {

using namespace std::chrono_literals;

TEST(TokenCache, RemembersForTheTtlOnly) {
  TokenCache cache(5s);
  const auto t0 = TokenCache::Clock::time_point{};
  domain::Principal p{7, domain::Role::kAdmin, 6};
  EXPECT_FALSE(cache.find("h", t0));
  cache.put("h", p, t0);
  ASSERT_TRUE(cache.find("h", t0 + 4s));
  EXPECT_EQ(cache.find("h", t0 + 4s)->token_id, 7);
  EXPECT_FALSE(cache.find("h", t0 + 5s));
}

TEST(TokenCache, ClearForgetsEverything) {
  TokenCache cache;
  const auto t0 = TokenCache::Clock::time_point{};
  cache.put("h", domain::Principal{1, domain::Role::kPlatform, std::nullopt}, t0);
  cache.clear();
  EXPECT_FALSE(cache.find("h", t0));
}

TEST(TokenCache, StaysWithinItsBound) {
  TokenCache cache(5s, 2);
  const auto t0 = TokenCache::Clock::time_point{};
  cache.put("a", domain::Principal{1, domain::Role::kRead, 1}, t0);
  cache.put("b", domain::Principal{2, domain::Role::kRead, 1}, t0);
  cache.put("c", domain::Principal{3, domain::Role::kRead, 1}, t0);
  EXPECT_FALSE(cache.find("a", t0));
  EXPECT_TRUE(cache.find("c", t0));
}

}  // namespace
}  // namespace hookd::security
