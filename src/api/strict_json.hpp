#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/messages.hpp"

// The one JSON reader for what hookd accepts: RFC 8259 JSON in UTF-8, nested at most kMaxDepth
// levels, no object with a repeated key at any depth, no number that is not finite (1e400), and a
// leading UTF-8 byte-order mark ignored (RFC 8259 §8.1). Boost.JSON's own parse keeps the last of
// repeated keys silently, so the checks run in a basic_parser handler that sees every key.
namespace hookd::api::strict_json {

inline constexpr int kMaxDepth = 32;

// The document's value, or std::nullopt with `problem` saying what is wrong, in a message a
// client can act on (the repeated key is named, cut to 64 bytes). The value of a member named
// `unbuilt_key` is checked as strictly but not built: an object or array there stands as an
// empty one, for callers that take its text instead (member_text), which saves allocations.
std::optional<boost::json::value> parse(std::string_view text, std::optional<Message>& problem,
                                        std::string_view unbuilt_key = {});

// The same checks without building a value: empty when `text` is strict JSON, else the problem
// in English.
std::string problem(std::string_view text);

// `text` without a leading byte-order mark and without the whitespace around the value.
std::string_view document(std::string_view text);

// Views into JSON text that parse() has accepted (not checked again), each found in one pass.
// The text of the value of member `key` of the object `object_text`, as it was sent, or
// std::nullopt when there is none.
std::optional<std::string_view> member_text(std::string_view object_text, std::string_view key);

// Where the value of member `key` of the object `object_text` begins, without reading the value.
std::optional<size_t> member_offset(std::string_view object_text, std::string_view key);

// The elements of the array at the start of `array_text` (which may go on past the array), as
// they were sent, each with the text of its member `key` when it is an object that has one.
struct ElementMember {
  std::string_view text;
  std::optional<std::string_view> member;
};
std::vector<ElementMember> element_members(std::string_view array_text, std::string_view key);

}  // namespace hookd::api::strict_json
