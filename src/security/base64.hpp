#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hookd::security {

// Standard base64 (RFC 4648 §4) with padding, through OpenSSL.
std::string base64_encode(const unsigned char* data, size_t n);
inline std::string base64_encode(std::string_view bytes) {
  return base64_encode(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

// True for padded base64 whose '=' stand only at the end.
bool is_base64(std::string_view text);

// The bytes, or nothing for text that is not padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace hookd::security
