#include "domain/event.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include "security/secrets.hpp"

namespace hookd::domain {
namespace {

void append_json_string(std::string& out, std::string_view s) {
  out += boost::json::serialize(boost::json::string(s));
}

}  // namespace

std::string new_event_id() { return "evt_" + security::random_alphanumeric(24); }

std::string delivery_body(const Event& event, WebhookId webhook) {
  // Built by hand, in the contract's key order, around the already serialised data.
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
