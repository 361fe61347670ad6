#include "domain/delivery.hpp"

namespace hookd::domain {

std::string_view delivery_status_name(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::kPending:
      return "pending";
    case DeliveryStatus::kSucceeded:
      return "succeeded";
    case DeliveryStatus::kFailed:
      return "failed";
    case DeliveryStatus::kSkipped:
      return "skipped";
  }
  return "";
}

std::optional<DeliveryStatus> parse_delivery_status(std::string_view name) {
  for (auto s : {DeliveryStatus::kPending, DeliveryStatus::kSucceeded, DeliveryStatus::kFailed,
                 DeliveryStatus::kSkipped}) {
    if (delivery_status_name(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view attempt_error_name(AttemptError error) {
  switch (error) {
    case AttemptError::kNone:
      return "";
    case AttemptError::kHttpStatus:
      return "http_status";
    case AttemptError::kRedirect:
      return "redirect";
    case AttemptError::kTimeout:
      return "timeout";
    case AttemptError::kDns:
      return "dns";
    case AttemptError::kConnect:
      return "connect";
    case AttemptError::kTls:
      return "tls";
    case AttemptError::kNetwork:
      return "network";
    case AttemptError::kForbiddenDestination:
      return "forbidden_destination";
    case AttemptError::kInvalidUrl:
      return "invalid_url";
  }
  return "";
}

void AttemptResult::fail(AttemptError kind, std::string_view detail) {
  error_class = kind;
  std::string text(attempt_error_name(kind));
  text.append(": ").append(detail);
  error = std::move(text);
}

}  // namespace hookd::domain
