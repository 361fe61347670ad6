#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace hookd::http {

// Bounds on a request's head, before any body byte.
struct FramingLimits {
  size_t max_target_bytes = 8 * 1024;
  size_t max_header_bytes = 16 * 1024;
};

// What RFC 9112's framing rules look at in a parsed head. Values are the fields as sent,
// one entry per field line.
struct FramingFacts {
  unsigned version = 11;  // 10 for HTTP/1.0, 11 for HTTP/1.1
  size_t target_size = 0;
  std::vector<std::string_view> host;
  std::vector<std::string_view> content_length;
  std::vector<std::string_view> transfer_encoding;
};

// The error a head's framing is refused with, or nothing when the body's length is
// unambiguous (RFC 9112 sections 3.2, 6.1 and 6.3): exactly one Content-Length of digits,
// or exactly `Transfer-Encoding: chunked` on HTTP/1.1, never both; one Host on HTTP/1.1.
std::optional<ServerError> check_framing(const FramingFacts& facts, const FramingLimits& limits);

// True when `value` is exactly the coding `chunked` (case-insensitive, surrounding blanks
// allowed), with no other coding before or after it.
bool is_exactly_chunked(std::string_view value);

}  // namespace hookd::http
