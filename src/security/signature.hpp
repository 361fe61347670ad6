#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Standard Webhooks 1.0 signatures: HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>"
// with the key base64decode(secret), sent as "v1,<base64>" in webhook-signature.
namespace hookd::security {

// The key bytes of a secret as Standard Webhooks libraries read it: an optional "whsec_"
// prefix, then base64. Empty when the secret is not valid base64.
std::optional<std::string> signing_key(std::string_view secret);

// "v1,<base64 signature>" for one key.
std::string sign(std::string_view key, std::string_view message_id, int64_t timestamp,
                 std::string_view body);

// The webhook-signature header for every secret still signing, newest first, space-separated.
std::string signature_header(const std::vector<std::string>& secrets, std::string_view message_id,
                             int64_t timestamp, std::string_view body);

enum class VerifyResult { kValid, kBadSecret, kBadTimestamp, kTimestampOutOfTolerance, kNoMatch };

std::string_view verify_result_text(VerifyResult r);

// Verifies as a receiver would: any v1 signature in the header matching, in constant time, and
// the timestamp within `tolerance` of `now_unix`.
VerifyResult verify(std::string_view secret, std::string_view message_id,
                    std::string_view timestamp, std::string_view signature_header,
                    std::string_view body, int64_t now_unix,
                    std::chrono::seconds tolerance = std::chrono::minutes(5));

}  // namespace hookd::security
