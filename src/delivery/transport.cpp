#include "delivery/transport.hpp"

#include <charconv>

namespace hookd::delivery {

std::string origin_of(const OutgoingRequest& r) {
  return r.host + ":" + std::to_string(r.port) + "@" +
         (r.address ? r.address->to_string() : std::string());
}

std::optional<int64_t> retry_after_seconds(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  int64_t seconds = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || ptr == value.data()) return std::nullopt;
  return seconds;
}

}  // namespace hookd::delivery
