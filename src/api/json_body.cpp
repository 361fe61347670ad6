#include "api/json_body.hpp"

#include <algorithm>
#include <limits>

#include "api/errors.hpp"
#include "api/message_catalog.hpp"
#include "api/strict_json.hpp"

namespace hookd::api::json_body {

namespace {

// "{field} ..." of the catalog, about one field of the body.
ApiError about(MessageKey key, std::string_view field) {
  return errors::invalid_body(Message(key).with("field", field));
}

ApiError about(MessageKey key, std::string_view field, size_t max) {
  return errors::invalid_body(Message(key).with("field", field).with("max", std::to_string(max)));
}

// A positive id, or InvalidRequestBody with `problem` about `field`.
int64_t id_or(const boost::json::value& v, MessageKey problem, std::string_view field) {
  int64_t id = 0;
  if (v.is_int64()) {
    id = v.get_int64();
  } else if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    id = static_cast<int64_t>(v.get_uint64());
  }
  if (id <= 0) throw about(problem, field);
  return id;
}

}  // namespace

boost::json::object parse_object(std::string_view body, std::string_view unbuilt_key) {
  std::optional<Message> problem;
  std::optional<boost::json::value> v = strict_json::parse(body, problem, unbuilt_key);
  if (!v) throw errors::invalid_body(std::move(*problem));
  if (!v->is_object()) throw errors::invalid_body(Message(message_key("body.not_object")));
  return std::move(v->as_object());
}

int64_t as_id(const boost::json::value& v, std::string_view what) {
  return id_or(v, message_key("body.positive_integer"), what);
}

std::optional<int64_t> optional_id(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  return as_id(it->value(), key);
}

int64_t required_id(const boost::json::object& o, std::string_view key) {
  auto id = optional_id(o, key);
  if (!id) throw about(message_key("body.required"), key);
  return *id;
}

std::optional<std::vector<int64_t>> optional_id_list(const boost::json::object& o,
                                                     std::string_view key, size_t max_items) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  const boost::json::array* arr = it->value().if_array();
  if (!arr) throw about(message_key("body.array_of_integers"), key);
  if (arr->size() > max_items) throw about(message_key("body.too_many_entries"), key, max_items);
  std::vector<int64_t> ids;
  ids.reserve(arr->size());
  for (const auto& v : *arr) ids.push_back(id_or(v, message_key("body.positive_integers"), key));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::optional<std::string> optional_string(const boost::json::object& o, std::string_view key,
                                           size_t max_bytes) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  const boost::json::string* s = it->value().if_string();
  if (!s) throw about(message_key("body.string"), key);
  if (s->size() > max_bytes) throw about(message_key("body.too_long"), key, max_bytes);
  return std::string(*s);
}

std::string required_string(const boost::json::object& o, std::string_view key, size_t max_bytes) {
  auto s = optional_string(o, key, max_bytes);
  if (!s) throw about(message_key("body.required"), key);
  return *s;
}

std::optional<std::vector<std::string>> optional_string_list(const boost::json::object& o,
                                                             std::string_view key, size_t max_items,
                                                             size_t max_bytes) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  const boost::json::array* arr = it->value().if_array();
  if (!arr) throw about(message_key("body.array_of_strings"), key);
  if (arr->size() > max_items) throw about(message_key("body.too_many_entries"), key, max_items);
  std::vector<std::string> out;
  for (const auto& v : *arr) {
    const boost::json::string* s = v.if_string();
    if (!s) throw about(message_key("body.array_of_strings"), key);
    if (s->size() > max_bytes) throw about(message_key("body.entry_too_long"), key, max_bytes);
    out.emplace_back(*s);
  }
  return out;
}

bool is_null(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_null();
}

}  // namespace hookd::api::json_body
