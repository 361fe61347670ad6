#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hookd::store {

// The ids of a comma-separated list, as SQLite's group_concat and PostgreSQL's string_agg
// write them (no list: none), sorted.
std::vector<int64_t> parse_id_list(const std::optional<std::string>& text);

}  // namespace hookd::store
