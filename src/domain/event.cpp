#include "domain/event.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <chrono>

#include "security/secrets.hpp"

namespace hookd::domain {
namespace {

void append_json_string(std::string& out, std::string_view s) {
  out += boost::json::serialize(boost::json::string(s));
}

}  // namespace

std::string new_event_id(TimePoint created_at) {
  // Eight base-62 digits of the milliseconds since 1970 (enough until the year 8880), in ASCII
  // order, so that ids sort by creation time and a new one lands at the end of the indexes on it.
  constexpr std::string_view kDigits =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::milliseconds>(created_at.time_since_epoch());
  uint64_t ms = static_cast<uint64_t>(std::max<int64_t>(since_epoch.count(), 0));
  std::string id = "evt_00000000" + security::random_alphanumeric(16);
  for (size_t i = 11; i >= 4 && ms > 0; --i, ms /= 62) id[i] = kDigits[ms % 62];
  return id;
}

std::string new_event_id() {
  return new_event_id(
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()));
}

std::string delivery_body(const Event& event, WebhookId webhook) {
  // Built by hand, in the contract's key order, around data as the producer sent it.
  std::string out;
  out.reserve(160 + event.data_json.size());
  out += "{\"id\":";
  append_json_string(out, event.id);
  out += ",\"webhookId\":";
  out += std::to_string(webhook);
  out += ",\"topic\":";
  append_json_string(out, topic_name(event.topic));
  out += ",\"type\":";
  if (event.type) {
    append_json_string(out, *event.type);
  } else {
    out += "null";
  }
  out += ",\"time\":";
  append_json_string(out, format_rfc3339(event.time));
  out += ",\"organizationId\":";
  out += std::to_string(event.organization_id);
  out += ",\"deviceId\":";
  // Test events concern no device.
  out += event.device_id > 0 ? std::to_string(event.device_id) : std::string("null");
  out += ",\"data\":";
  out += event.data_json;
  out += '}';
  return out;
}

}  // namespace hookd::domain
