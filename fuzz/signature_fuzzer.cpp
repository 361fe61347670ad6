// Standard Webhooks signatures (security::verify, security::signature_header).
#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_support.hpp"
#include "security/signature.hpp"

using namespace hookd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  const std::string secret = p.ConsumeRandomLengthString(128);
  const std::string message_id = p.ConsumeRandomLengthString(64);
  const std::string timestamp = p.ConsumeRandomLengthString(24);
  const std::string header = p.ConsumeRandomLengthString(512);
  const std::string body = p.ConsumeRemainingBytesAsString();
  constexpr int64_t now = 1'795'935'966;

  // Whatever arrives, verification answers, and the same way twice.
  const auto result = security::verify(secret, message_id, timestamp, header, body, now);
  FUZZ_CHECK(!security::verify_result_text(result).empty());
  FUZZ_CHECK(security::verify(secret, message_id, timestamp, header, body, now) == result);
  if (result == security::VerifyResult::kValid) {
    // Only a header carrying the signature itself verifies.
    const auto key = security::signing_key(secret);
    FUZZ_CHECK(key);
    const std::string expected = security::sign(*key, message_id, std::stoll(timestamp), body);
    FUZZ_CHECK(header.find(expected) != std::string::npos);
  }

  if (!security::signing_key(secret)) {
    FUZZ_CHECK(result == security::VerifyResult::kBadSecret);
    return 0;
  }
  // verify(sign(x)) is valid, also beside another signature; another body is not.
  const std::string signed_header = security::signature_header({secret}, message_id, now, body);
  FUZZ_CHECK(signed_header.starts_with("v1,"));
  const std::string ts = std::to_string(now);
  FUZZ_CHECK(security::verify(secret, message_id, ts, signed_header, body, now) ==
             security::VerifyResult::kValid);
  FUZZ_CHECK(security::verify(secret, message_id, ts, "v1,x " + signed_header, body, now) ==
             security::VerifyResult::kValid);
  FUZZ_CHECK(security::verify(secret, message_id, ts, signed_header, body + "x", now) ==
             security::VerifyResult::kNoMatch);
  return 0;
}
