#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace hookd::domain {

// The device event topics a webhook can subscribe to.
enum class Topic : uint8_t {
  kDeviceActivation = 0,
  kDeviceDeactivation = 1,
  kDeviceStatus = 2,
  kDeviceTamper = 3,
  // Sent by POST /v2/webhooks/{id}/test to one webhook; no webhook subscribes to it.
  kWebhookTest = 4,
};

inline constexpr Topic kAllTopics[] = {Topic::kDeviceActivation, Topic::kDeviceDeactivation,
                                       Topic::kDeviceStatus, Topic::kDeviceTamper};

std::string_view topic_name(Topic topic);
// One of kAllTopics, the ones webhooks subscribe to and the platform sends.
std::optional<Topic> parse_topic(std::string_view name);

// A set of topics, stored as a bit mask so that matching is one AND.
class TopicSet {
 public:
  TopicSet() = default;
  static TopicSet from_mask(uint32_t mask) { return TopicSet(mask); }

  void add(Topic t) { mask_ |= bit(t); }
  bool contains(Topic t) const { return (mask_ & bit(t)) != 0; }
  bool empty() const { return mask_ == 0; }
  uint32_t mask() const { return mask_; }
  std::vector<Topic> topics() const;  // in declaration order

  friend bool operator==(TopicSet, TopicSet) = default;

 private:
  explicit TopicSet(uint32_t mask) : mask_(mask) {}
  static uint32_t bit(Topic t) { return 1u << static_cast<uint8_t>(t); }
  uint32_t mask_ = 0;
};

}  // namespace hookd::domain
