#include "api/idempotency.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "store/idempotency_store.hpp"
#include "support/manual_clock.hpp"

namespace hookd::api::idempotency {
namespace {

TEST(IdempotencyKey, IsOneTo255VisibleAsciiCharacters) {
  EXPECT_TRUE(is_valid_key("a"));
  EXPECT_TRUE(is_valid_key("8e03978e-40d5-43e8-bc93-6894a57f9324"));
  EXPECT_TRUE(is_valid_key("\"quoted\""));  // a structured-field string, taken as sent
  EXPECT_TRUE(is_valid_key(std::string(255, '~')));
  EXPECT_TRUE(is_valid_key("!"));
  EXPECT_FALSE(is_valid_key(""));
  EXPECT_FALSE(is_valid_key(std::string(256, 'k')));
  for (const char* bad : {"a b", "tab\there", "nul\x01", "del\x7f", "caf\xc3\xa9", "one, two"}) {
    EXPECT_FALSE(is_valid_key(bad)) << bad;
  }
}

TEST(IdempotencyKey, ScopesAreTheOrganizationOrThePlatform) {
  domain::Principal admin{1, domain::Role::kAdmin, 6};
  domain::Principal other{2, domain::Role::kAdmin, 7};
  domain::Principal platform{3, domain::Role::kPlatform, std::nullopt};
  domain::Principal second_platform{4, domain::Role::kPlatform, std::nullopt};
  EXPECT_EQ(scope_of(admin), scope_of(domain::Principal{9, domain::Role::kAdmin, 6}));
  EXPECT_NE(scope_of(admin), scope_of(other));
  EXPECT_NE(scope_of(admin), scope_of(platform));
  EXPECT_EQ(scope_of(platform), scope_of(second_platform));
}

TEST(IdempotencyKey, IsStoredAsAHashOfItsScopeAndItself) {
  const std::string h = key_hash("organization 6", "key-1");
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(h.find("key-1"), std::string::npos);
  EXPECT_EQ(h, key_hash("organization 6", "key-1"));
  EXPECT_NE(h, key_hash("organization 7", "key-1"));
  EXPECT_NE(h, key_hash("organization 6", "key-2"));
  // Fields are delimited: moving a character from the scope to the key is another key.
  EXPECT_NE(key_hash("ab", "c"), key_hash("a", "bc"));
}

TEST(IdempotentRequest, FingerprintTellsMethodRouteParametersAndBodyApart) {
  const std::string f = fingerprint("POST", "/v2/webhooks/{id}/test", {"12"}, "");
  EXPECT_EQ(f, fingerprint("POST", "/v2/webhooks/{id}/test", {"12"}, ""));
  EXPECT_NE(f, fingerprint("POST", "/v2/webhooks/{id}/test", {"13"}, ""));
  EXPECT_NE(f, fingerprint("POST", "/v2/webhooks/{id}/rotate-secret", {"12"}, ""));
  EXPECT_NE(f, fingerprint("PUT", "/v2/webhooks/{id}/test", {"12"}, ""));
  EXPECT_NE(f, fingerprint("POST", "/v2/webhooks/{id}/test", {"12"}, "{}"));
  EXPECT_NE(fingerprint("POST", "/p/{a}/{b}", {"1", "2"}, ""),
            fingerprint("POST", "/p/{a}/{b}", {"12", ""}, ""));
  EXPECT_NE(fingerprint("POST", "/p/{a}", {"1"}, "2"), fingerprint("POST", "/p/{a}", {"12"}, ""));
}

// Answers every claim with `next`, and records what was kept and freed.
class ScriptedKeys final : public store::IdempotencyStore {
 public:
  store::IdempotencyClaim next;
  std::optional<store::IdempotencyRequest> claimed;
  std::vector<std::pair<int64_t, store::StoredAnswer>> completed;
  std::vector<int64_t> released;

  store::IdempotencyClaim claim_idempotency_key(const store::IdempotencyRequest& r) override {
    claimed = r;
    return next;
  }
  bool complete_idempotency_key(std::string_view, int64_t generation,
                                const store::StoredAnswer& answer) override {
    completed.emplace_back(generation, answer);
    return true;
  }
  void release_idempotency_key(std::string_view, int64_t generation) override {
    released.push_back(generation);
  }
  int64_t purge_idempotency_keys(TimePoint, size_t) override { return 0; }
};

std::string code_of(const http::Response& r) {
  return std::string(boost::json::parse(r.body).at("code").as_string());
}

TEST(IdempotentRequest, BeginClaimsForADayAndRunsForAMinute) {
  ScriptedKeys keys;
  testing::ManualClock clock;
  keys.next = {store::IdempotencyClaim::Kind::kNew, 7, std::nullopt};
  const auto begun = begin(keys, clock, "hash", "fp");
  ASSERT_TRUE(std::holds_alternative<Claimed>(begun));
  EXPECT_EQ(std::get<Claimed>(begun).generation, 7);
  EXPECT_EQ(std::get<Claimed>(begun).key_hash, "hash");
  ASSERT_TRUE(keys.claimed);
  EXPECT_EQ(keys.claimed->now, clock.now());
  EXPECT_EQ(keys.claimed->expires_at, clock.now() + std::chrono::hours(24));
  EXPECT_EQ(keys.claimed->running_until, clock.now() + std::chrono::seconds(60));
}

TEST(IdempotentRequest, BeginAnswersInUseReusedAndReplays) {
  ScriptedKeys keys;
  testing::ManualClock clock;
  keys.next = {store::IdempotencyClaim::Kind::kRunning, 0, std::nullopt};
  auto r = std::get<http::Response>(begin(keys, clock, "hash", "fp"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(code_of(r), "IdempotencyKeyInUse");
  keys.next = {store::IdempotencyClaim::Kind::kMismatch, 0, std::nullopt};
  r = std::get<http::Response>(begin(keys, clock, "hash", "fp"));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(code_of(r), "IdempotencyKeyReused");
  keys.next = {store::IdempotencyClaim::Kind::kReplay, 0, store::StoredAnswer{202, "{\"a\":1}"}};
  r = std::get<http::Response>(begin(keys, clock, "hash", "fp"));
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, "{\"a\":1}");
  EXPECT_EQ(r.headers, (decltype(r.headers){{"Idempotent-Replayed", "true"}}));
}

TEST(IdempotentRequest, SuccessesAndClientErrorsAreKeptServerErrorsFreeTheKey) {
  for (int status : {200, 202, 400, 404, 409, 422}) {
    ScriptedKeys keys;
    finish(keys, Claimed{"hash", 3}, http::Response{status, "body"});
    ASSERT_EQ(keys.completed.size(), 1u) << status;
    EXPECT_EQ(keys.completed[0].first, 3);
    EXPECT_EQ(keys.completed[0].second.status, status);
    EXPECT_EQ(keys.completed[0].second.body, "body");
    EXPECT_TRUE(keys.released.empty());
  }
  for (int status : {500, 503}) {
    ScriptedKeys keys;
    finish(keys, Claimed{"hash", 3}, http::Response{status, "body"});
    EXPECT_TRUE(keys.completed.empty()) << status;
    EXPECT_EQ(keys.released, std::vector<int64_t>{3});
  }
}

}  // namespace
}  // namespace hookd::api::idempotency
