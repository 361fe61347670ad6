#include "api/query.hpp"

#include <charconv>
#include <string>

#include "api/errors.hpp"
#include "api/message_catalog.hpp"

namespace hookd::api {

int64_t query_int(const Query& query, std::string_view name, int64_t fallback, int64_t min,
                  int64_t max) {
  auto it = query.find(name);
  if (it == query.end()) return fallback;
  int64_t value = 0;
  const std::string& text = it->second;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < min || value > max) {
    throw errors::invalid_query(Message(message_key("query.integer_range"))
                                    .with("name", name)
                                    .with("min", std::to_string(min))
                                    .with("max", std::to_string(max)));
  }
  return value;
}

}  // namespace hookd::api
