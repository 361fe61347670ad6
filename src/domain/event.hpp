#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "domain/tenancy.hpp"
#include "domain/topic.hpp"
#include "domain/webhook.hpp"

namespace hookd::domain {

// A device event as the platform sent it, after validation.
struct Event {
  std::string id;                          // hookd's id: the webhook-id of every delivery
  std::optional<std::string> producer_id;  // the platform's own id, for deduplication
  OrganizationId organization_id = 0;
  DeviceId device_id = 0;  // 0 for a test event, which concerns no device
  Topic topic = Topic::kDeviceStatus;
  std::optional<std::string> type;  // a finer kind, e.g. DeviceTamperVibration
  TimePoint time;
  std::string data_json = "{}";  // a JSON object, the text the producer sent
};

// A producer's event id is not stored twice within this window.
inline constexpr std::chrono::hours kProducerIdWindow{24};

// "evt_", 8 characters of [0-9A-Za-z] that sort as the creation time (milliseconds) does,
// and 16 characters of [A-Za-z0-9] from the CSPRNG.
std::string new_event_id(TimePoint created_at);
std::string new_event_id();  // created now

// The body a receiver gets for `event` sent to `webhook`; the same bytes on every attempt,
// since the signature covers them.
std::string delivery_body(const Event& event, WebhookId webhook);

}  // namespace hookd::domain
