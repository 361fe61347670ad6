#include "api/idempotency.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace hookd::api::idempotency
