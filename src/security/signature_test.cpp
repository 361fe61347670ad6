#include "security/signature.hpp"

#include <gtest/gtest.h>

namespace hookd::security {
namespace {

// The example of the Standard Webhooks specification and the Svix documentation.
constexpr std::string_view kSpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view kSpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kSpecTimestamp = 1614265330;
constexpr std::string_view kSpecBody = R"({"test": 2432232314})";
constexpr std::string_view kSpecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

TEST(Signature, MatchesTheSpecificationExample) {
  auto key = signing_key(kSpecSecret);
  ASSERT_TRUE(key);
  EXPECT_EQ(sign(*key, kSpecId, kSpecTimestamp, kSpecBody), kSpecSignature);
}

TEST(Signature, A32CharacterSecretIsA24ByteKey) {
  auto key = signing_key("bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->size(), 24u);
  EXPECT_FALSE(signing_key("not base64!"));
  EXPECT_FALSE(signing_key("abc"));
}

TEST(Signature, VerifiesOwnSignaturesAndRefusesTampering) {
  const std::string secret = "bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB";
  const std::string header = signature_header({secret}, "evt_1", 1000, "{}");
  EXPECT_EQ(verify(secret, "evt_1", "1000", header, "{}", 1000), VerifyResult::kValid);
  EXPECT_EQ(verify(secret, "evt_1", "1000", header, "{ }", 1000), VerifyResult::kNoMatch);
  EXPECT_EQ(verify(secret, "evt_2", "1000", header, "{}", 1000), VerifyResult::kNoMatch);
  EXPECT_EQ(verify(secret, "evt_1", "1001", header, "{}", 1000), VerifyResult::kNoMatch);
  EXPECT_EQ(verify(secret, "evt_1", "1000", header, "{}", 1000 + 301),
            VerifyResult::kTimestampOutOfTolerance);
  EXPECT_EQ(verify(secret, "evt_1", "soon", header, "{}", 1000), VerifyResult::kBadTimestamp);
  EXPECT_EQ(verify("ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", "evt_1", "1000", header, "{}", 1000),
            VerifyResult::kNoMatch);
}

TEST(Signature, HeaderCarriesOneSignaturePerSecretInGrace) {
  const std::string old_secret = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  const std::string new_secret = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  const std::string header = signature_header({new_secret, old_secret}, "evt_1", 5, "x");
  EXPECT_EQ(std::count(header.begin(), header.end(), ' '), 1);
  EXPECT_EQ(verify(old_secret, "evt_1", "5", header, "x", 5), VerifyResult::kValid);
  EXPECT_EQ(verify(new_secret, "evt_1", "5", header, "x", 5), VerifyResult::kValid);
}

}  // namespace
}  // namespace hookd::security
