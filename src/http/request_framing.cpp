#include "http/request_framing.hpp"

#include <algorithm>
#include <cctype>

namespace hookd::http {
namespace {

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool is_exactly_chunked(std::string_view value) { return iequals(trim_blanks(value), "chunked"); }

std::optional<ServerError> check_framing(const FramingFacts& facts, const FramingLimits& limits) {
  if (facts.version != 10 && facts.version != 11) return ServerError::kBadRequest;
  if (facts.target_size > limits.max_target_bytes) return ServerError::kUriTooLong;
  // A second Host or Content-Length could be read differently by a proxy in front.
  if (facts.version == 11 && facts.host.size() != 1) return ServerError::kBadRequest;
  if (facts.host.size() > 1) return ServerError::kBadRequest;
  if (facts.content_length.size() > 1) return ServerError::kBadRequest;
  if (facts.content_length.size() == 1 && !all_digits(trim_blanks(facts.content_length[0]))) {
    return ServerError::kBadRequest;
  }
  if (facts.transfer_encoding.empty()) return std::nullopt;
  if (facts.version == 10) return ServerError::kBadRequest;
  if (!facts.content_length.empty()) return ServerError::kBadRequest;
  if (facts.transfer_encoding.size() != 1 || !is_exactly_chunked(facts.transfer_encoding[0])) {
    return ServerError::kNotImplemented;
  }
  return std::nullopt;
}

}  // namespace hookd::http
