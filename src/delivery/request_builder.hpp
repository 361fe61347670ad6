#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/delivery_queue.hpp"

namespace hookd::delivery {

// What one attempt of a delivery carries: the same body on every attempt, and headers signed
// at `timestamp`.
struct RequestContent {
  std::string body;
  std::vector<std::string> headers;  // "name: value"
};

// The body and the Standard Webhooks headers of an attempt at `delivery`, signed with each of
// its HMAC secrets (newest first) at `timestamp` (Unix seconds); its HTTP secret, when it has
// one, goes in the `secret_header` header. Pure: the same arguments give the same bytes.
RequestContent build_request(const store::ClaimedDelivery& delivery, int64_t timestamp,
                             std::string_view secret_header);

}  // namespace hookd::delivery
