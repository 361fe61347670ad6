#pragma once

#include <cstdint>
#include <string_view>

#include "api/context.hpp"

namespace hookd::api {

// Listings are pages of at most kMaxPageSize, kDefaultPageSize unless asked.
inline constexpr int64_t kDefaultPageSize = 50;
inline constexpr int64_t kMaxPageSize = 100;
inline constexpr int64_t kMaxOffset = 1'000'000'000;

// An integer query parameter within [min, max], `fallback` when absent; anything else is
// 400 InvalidQueryParameter.
int64_t query_int(const Query& query, std::string_view name, int64_t fallback, int64_t min,
                  int64_t max);

}  // namespace hookd::api
