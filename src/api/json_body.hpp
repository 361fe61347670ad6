#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/strict_json.hpp"

// Reading request bodies: every failure is an ApiError with code InvalidRequestBody that
// names the field, so clients can tell what to fix.
namespace hookd::api::json_body {

inline constexpr int kMaxDepth = strict_json::kMaxDepth;

// A JSON object read by strict_json: UTF-8, nested at most kMaxDepth levels, no repeated key at
// any depth, every number finite, a leading byte-order mark ignored. Members named
// `unbuilt_key` are checked but left empty (strict_json::parse), for callers that read their text.
boost::json::object parse_object(std::string_view body, std::string_view unbuilt_key = {});

// A positive integer id that fits in 63 bits; floats, strings and booleans are refused.
std::optional<int64_t> optional_id(const boost::json::object& o, std::string_view key);
int64_t required_id(const boost::json::object& o, std::string_view key);
int64_t as_id(const boost::json::value& v, std::string_view what);

// An array of ids, at most max_items long; duplicates collapse and the result is sorted.
std::optional<std::vector<int64_t>> optional_id_list(const boost::json::object& o,
                                                     std::string_view key, size_t max_items);

std::optional<std::string> optional_string(const boost::json::object& o, std::string_view key,
                                           size_t max_bytes);
std::string required_string(const boost::json::object& o, std::string_view key, size_t max_bytes);

// An array of strings, at most max_items long.
std::optional<std::vector<std::string>> optional_string_list(const boost::json::object& o,
                                                             std::string_view key, size_t max_items,
                                                             size_t max_bytes);

// True when the key is present with a JSON null.
bool is_null(const boost::json::object& o, std::string_view key);

}  // namespace hookd::api::json_body
