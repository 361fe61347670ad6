#include "api/json_body.hpp"

#include <algorithm>
#include <limits>

#include "api/errors.hpp"
#include "api/strict_json.hpp"

namespace hookd::api::json_body {

namespace {

std::string field(std::string_view key) { return std::string(key); }

}  // namespace

boost::json::object parse_object(std::string_view body, std::string_view unbuilt_key) {
  std::string problem;
  std::optional<boost::json::value> v = strict_json::parse(body, problem, unbuilt_key);
  if (!v) throw errors::invalid_body(problem);
  if (!v->is_object()) throw errors::invalid_body("the body must be a JSON object");
  return std::move(v->as_object());
}

int64_t as_id(const boost::json::value& v, std::string_view what) {
  int64_t id = 0;
  if (v.is_int64()) {
    id = v.get_int64();
  } else if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    id = static_cast<int64_t>(v.get_uint64());
  } else {
    throw errors::invalid_body(field(what) + " must be a positive integer");
  }
  if (id <= 0) throw errors::invalid_body(field(what) + " must be a positive integer");
  return id;
}

std::optional<int64_t> optional_id(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  return as_id(it->value(), key);
}

int64_t required_id(const boost::json::object& o, std::string_view key) {
  auto id = optional_id(o, key);
  if (!id) throw errors::invalid_body(field(key) + " is required");
  return *id;
}

std::optional<std::vector<int64_t>> optional_id_list(const boost::json::object& o,
                                                     std::string_view key, size_t max_items) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  const boost::json::array* arr = it->value().if_array();
  if (!arr) throw errors::invalid_body(field(key) + " must be an array of integers");
  if (arr->size() > max_items) {
    throw errors::invalid_body(field(key) + " has more than " + std::to_string(max_items) +
                               " entries");
  }
  std::vector<int64_t> ids;
  ids.reserve(arr->size());
  for (const auto& v : *arr) ids.push_back(as_id(v, field(key) + " entries"));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::optional<std::string> optional_string(const boost::json::object& o, std::string_view key,
                                           size_t max_bytes) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  const boost::json::string* s = it->value().if_string();
  if (!s) throw errors::invalid_body(field(key) + " must be a string");
  if (s->size() > max_bytes) {
    throw errors::invalid_body(field(key) + " is longer than " + std::to_string(max_bytes) +
                               " bytes");
  }
  return std::string(*s);
}

std::string required_string(const boost::json::object& o, std::string_view key, size_t max_bytes) {
  auto s = optional_string(o, key, max_bytes);
  if (!s) throw errors::invalid_body(field(key) + " is required");
  return *s;
}

std::optional<std::vector<std::string>> optional_string_list(const boost::json::object& o,
                                                             std::string_view key, size_t max_items,
                                                             size_t max_bytes) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  const boost::json::array* arr = it->value().if_array();
  if (!arr) throw errors::invalid_body(field(key) + " must be an array of strings");
  if (arr->size() > max_items) {
    throw errors::invalid_body(field(key) + " has more than " + std::to_string(max_items) +
                               " entries");
  }
  std::vector<std::string> out;
  for (const auto& v : *arr) {
    const boost::json::string* s = v.if_string();
    if (!s) throw errors::invalid_body(field(key) + " must be an array of strings");
    if (s->size() > max_bytes) throw errors::invalid_body(field(key) + " entry too long");
    out.emplace_back(*s);
  }
  return out;
}

bool is_null(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_null();
}

}  // namespace hookd::api::json_body
