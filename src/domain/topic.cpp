#include "domain/topic.hpp"

namespace hookd::domain {

std::string_view topic_name(Topic topic) {
  switch (topic) {
    case Topic::kDeviceActivation:
      return "DeviceActivationEvents";
    case Topic::kDeviceDeactivation:
      return "DeviceDeactivationEvents";
    case Topic::kDeviceStatus:
      return "DeviceStatusEvents";
    case Topic::kDeviceTamper:
      return "DeviceTamperEvents";
    case Topic::kWebhookTest:
      return "WebhookTestEvents";
  }
  return {};
}

std::optional<Topic> parse_topic(std::string_view name) {
  for (Topic t : kAllTopics) {
    if (topic_name(t) == name) return t;
  }
  return std::nullopt;
}

std::vector<Topic> TopicSet::topics() const {
  std::vector<Topic> out;
  for (Topic t : kAllTopics) {
    if (contains(t)) out.push_back(t);
  }
  return out;
}

}  // namespace hookd::domain
