#include "store/id_list.hpp"

#include <algorithm>
#include <charconv>

namespace hookd::store {

std::vector<int64_t> parse_id_list(const std::optional<std::string>& text) {
  std::vector<int64_t> ids;
  if (!text) return ids;
  const char* p = text->data();
  const char* end = p + text->size();
  while (p < end) {
    int64_t id = 0;
    auto [next, ec] = std::from_chars(p, end, id);
    if (ec != std::errc()) break;
    ids.push_back(id);
    p = next + 1;  // skip the comma
  }
  // Neither database promises the aggregate's order; the API does.
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace hookd::store
