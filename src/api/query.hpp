#pragma once

#include <cstdint>
#include <string_view>

#include "api/context.hpp"

namespace hookd::api {

// An integer query parameter within [min, max], `fallback` when absent; anything else is
// 400 InvalidQueryParameter.
int64_t query_int(const Query& query, std::string_view name, int64_t fallback, int64_t min,
                  int64_t max);

}  // namespace hookd::api
