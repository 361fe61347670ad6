#include "security/signature.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <charconv>
#include <initializer_list>
#include <stdexcept>

#include "security/base64.hpp"
#include "security/secrets.hpp"

namespace hookd::security {

std::optional<std::string> signing_key(std::string_view secret) {
  if (secret.starts_with("whsec_")) secret.remove_prefix(6);
  return base64_decode(secret);
}

namespace {

// HMAC-SHA256, set up once per thread: fetching the algorithm from OpenSSL's provider store
// and making a context cost more than hashing a delivery's body.
class Hmac {
 public:
  Hmac()
      : mac_(EVP_MAC_fetch(nullptr, "HMAC", nullptr)),
        ctx_(mac_ ? EVP_MAC_CTX_new(mac_) : nullptr) {
    char digest_name[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest_name, 0),
                                 OSSL_PARAM_construct_end()};
    if (ctx_ && EVP_MAC_CTX_set_params(ctx_, params) != 1) {
      EVP_MAC_CTX_free(ctx_);
      ctx_ = nullptr;
    }
  }
  ~Hmac() {
    EVP_MAC_CTX_free(ctx_);
    EVP_MAC_free(mac_);
  }
  Hmac(const Hmac&) = delete;
  Hmac& operator=(const Hmac&) = delete;

  // False when OpenSSL failed.
  bool digest(std::string_view key, std::initializer_list<std::string_view> parts,
              unsigned char* out, size_t* out_len, size_t capacity) {
    if (!ctx_ || EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                              nullptr) != 1) {
      return false;
    }
    for (std::string_view part : parts) {
      if (EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(part.data()), part.size()) !=
          1) {
        return false;
      }
    }
    return EVP_MAC_final(ctx_, out, out_len, capacity) == 1;
  }

 private:
  EVP_MAC* mac_;
  EVP_MAC_CTX* ctx_;
};

}  // namespace

std::string sign(std::string_view key, std::string_view message_id, int64_t timestamp,
                 std::string_view body) {
  thread_local Hmac hmac;
  const std::string ts = std::to_string(timestamp);
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t out_len = 0;
  if (!hmac.digest(key, {message_id, ".", ts, ".", body}, out, &out_len, sizeof out)) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return "v1," + base64_encode(out, out_len);
}

std::string signature_header(const std::vector<std::string>& secrets, std::string_view message_id,
                             int64_t timestamp, std::string_view body) {
  std::string header;
  for (const std::string& secret : secrets) {
    auto key = signing_key(secret);
    if (!key) continue;
    if (!header.empty()) header += ' ';
    header += sign(*key, message_id, timestamp, body);
  }
  return header;
}

std::string_view verify_result_text(VerifyResult r) {
  switch (r) {
    case VerifyResult::kValid:
      return "valid";
    case VerifyResult::kBadSecret:
      return "the secret is not valid base64";
    case VerifyResult::kBadTimestamp:
      return "the timestamp is not a number";
    case VerifyResult::kTimestampOutOfTolerance:
      return "the timestamp is too old or in the future";
    case VerifyResult::kNoMatch:
      return "no signature matches";
  }
  return "";
}

VerifyResult verify(std::string_view secret, std::string_view message_id,
                    std::string_view timestamp, std::string_view header, std::string_view body,
                    int64_t now_unix, std::chrono::seconds tolerance) {
  const auto key = signing_key(secret);
  if (!key) return VerifyResult::kBadSecret;
  int64_t ts = 0;
  auto [ptr, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), ts);
  if (ec != std::errc() || ptr != timestamp.data() + timestamp.size()) {
    return VerifyResult::kBadTimestamp;
  }
  if (ts < now_unix - tolerance.count() || ts > now_unix + tolerance.count()) {
    return VerifyResult::kTimestampOutOfTolerance;
  }
  const std::string expected = sign(*key, message_id, ts, body);
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(' ', pos);
    if (end == std::string_view::npos) end = header.size();
    if (constant_time_equal(header.substr(pos, end - pos), expected)) return VerifyResult::kValid;
    pos = end + 1;
  }
  return VerifyResult::kNoMatch;
}

}  // namespace hookd::security
