// openapi/signature-vectors.json against hookd's own signer and verifier (security::verify,
// which `hookd verify` runs).
#include "support/signature_vectors.hpp"

#include <gtest/gtest.h>

#include <charconv>
#include <chrono>

#include "security/signature.hpp"

namespace hookd::security {
namespace {

using testing::load_signature_vectors;

TEST(SignatureVectors, TheVerifierGivesEveryVectorsVerdict) {
  const auto file = load_signature_vectors();
  const std::chrono::seconds tolerance(file.tolerance_seconds);
  for (const auto& v : file.vectors) {
    const VerifyResult result =
        verify(v.secret, v.id, v.timestamp, v.signature, v.body, file.now, tolerance);
    EXPECT_EQ(result == VerifyResult::kValid, v.valid)
        << v.name << ": " << verify_result_text(result);
  }
}

TEST(SignatureVectors, TheSignerWritesEverySignedHeader) {
  const auto file = load_signature_vectors();
  size_t checked = 0;
  for (const auto& v : file.vectors) {
    if (v.signing_secrets.empty()) continue;
    int64_t timestamp = 0;
    const auto [end, ec] =
        std::from_chars(v.timestamp.data(), v.timestamp.data() + v.timestamp.size(), timestamp);
    ASSERT_TRUE(ec == std::errc() && end == v.timestamp.data() + v.timestamp.size()) << v.name;
    EXPECT_EQ(signature_header(v.signing_secrets, v.id, timestamp, v.body), v.signature) << v.name;
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

}  // namespace
}  // namespace hookd::security
