#include "store/valid_text.hpp"

#include <cstdint>

namespace hookd::store {
namespace {

// The length of the valid UTF-8 sequence at `s[i]`, or 0 when it is not one.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b = byte(i);
  size_t n = 0;
  uint32_t min = 0;
  if (b >= 0xc2 && b <= 0xdf) {
    n = 2, min = 0x80;
  } else if (b >= 0xe0 && b <= 0xef) {
    n = 3, min = 0x800;
  } else if (b >= 0xf0 && b <= 0xf4) {
    n = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  uint32_t cp = b & (0x7f >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

}  // namespace

std::string to_valid_text(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b != 0 && b < 0x80) {
      out += s[i++];
      continue;
    }
    const size_t n = b == 0 ? 0 : utf8_sequence_length(s, i);
    if (n == 0) {
      out += "\xef\xbf\xbd";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

bool is_valid_text(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b != 0 && b < 0x80) {
      ++i;
      continue;
    }
    const size_t n = b == 0 ? 0 : utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace hookd::store
