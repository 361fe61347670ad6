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

}  // namespace hookd::domain
