#include "security/base64.hpp"

#include <openssl/evp.h>

namespace hookd::security {

std::string base64_encode(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(written));
  return out;
}

bool is_base64(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0) return false;
  const size_t pad = in.ends_with("==") ? 2 : in.ends_with("=") ? 1 : 0;
  for (size_t i = 0; i < in.size() - pad; ++i) {
    const char c = in[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::string> base64_decode(std::string_view in) {
  if (!is_base64(in)) return std::nullopt;
  std::string out(3 * in.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  out.resize(static_cast<size_t>(n) - (in.ends_with("==") ? 2 : in.ends_with("=") ? 1 : 0));
  return out;
}

}  // namespace hookd::security
