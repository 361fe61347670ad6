#pragma once

#include <string_view>

#include "common/clock.hpp"
#include "store/store.hpp"

namespace hookd::api {

inline constexpr size_t kMaxEventsPerRequest = 1000;
inline constexpr size_t kMaxEventDataBytes = 64 * 1024;
inline constexpr size_t kMaxProducerIdBytes = 64;
inline constexpr size_t kMaxEventTypeBytes = 128;
// A full batch may carry 1000 events; their bodies together are bounded by this.
inline constexpr size_t kMaxEventsBodyBytes = 16 * 1024 * 1024;

// Parses POST /v2/platform/events: one event object, or {"events": [...]} with 1 to 1000.
// Any invalid event rejects the whole request (ApiError naming the event's index). Each event
// gets a new id; `now` is the time of events that carry none.
store::IngestRequest parse_events(std::string_view body, TimePoint now);

}  // namespace hookd::api
