#include "delivery/transport.hpp"

#include <charconv>

namespace hookd::delivery {

std::string origin_of(const OutgoingRequest& r) {
  return r.host + ":" + std::to_string(r.port) + "@" +
         (r.address ? r.address->to_string() : std::string());
}

void classify_answer(domain::AttemptResult& result) {
  const int status = result.status_code.value_or(0);
  if (status >= 300 && status < 400) {
    result.fail(domain::AttemptError::kRedirect, std::to_string(status) + " is not followed");
  } else if (status < 200 || status >= 300) {
    result.fail(domain::AttemptError::kHttpStatus, std::to_string(status));
  }
}

std::optional<int64_t> retry_after_seconds(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  int64_t seconds = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || ptr == value.data()) return std::nullopt;
  return seconds;
}

}  // namespace hookd::delivery
