#include "api/event_input.hpp"

#include <boost/json/serialize.hpp>
#include <cmath>

#include "api/errors.hpp"
#include "api/json_body.hpp"

namespace hookd::api {
namespace {

// Boost.JSON reads 1e400 as infinity and writes it back as text no JSON parser takes, which
// would reach the store and every receiver.
bool has_non_finite_number(const boost::json::value& v) {
  if (const double* d = v.if_double()) return !std::isfinite(*d);
  if (const auto* o = v.if_object()) {
    for (const auto& member : *o) {
      if (has_non_finite_number(member.value())) return true;
    }
  } else if (const auto* a = v.if_array()) {
    for (const auto& element : *a) {
      if (has_non_finite_number(element)) return true;
    }
  }
  return false;
}

domain::Event parse_event(const boost::json::object& o, TimePoint now) {
  domain::Event e;
  e.id = domain::new_event_id();
  e.device_id = json_body::required_id(o, "deviceId");
  const std::string topic = json_body::required_string(o, "topic", 64);
  if (auto id = json_body::optional_string(o, "id", kMaxProducerIdBytes)) {
    if (id->empty()) throw errors::invalid_body("id must not be empty");
    e.producer_id = std::move(*id);
  }
  e.type = json_body::optional_string(o, "type", kMaxEventTypeBytes);
  e.time = now;
  if (auto time = json_body::optional_string(o, "time", 64)) {
    auto parsed = parse_rfc3339(*time);
    if (!parsed) throw errors::invalid_body("time must be an RFC 3339 date-time");
    e.time = *parsed;
  }
  if (auto it = o.find("data"); it != o.end()) {
    if (!it->value().is_object()) throw errors::invalid_body("data must be an object");
    if (has_non_finite_number(it->value())) {
      throw errors::invalid_body("data holds a number too large for a double");
    }
    e.data_json = boost::json::serialize(it->value());
    if (e.data_json.size() > kMaxEventDataBytes) {
      throw errors::invalid_body("data is larger than 64 KiB");
    }
  }
  // Checked last, as on webhooks: the shape of the body before the meaning of its values.
  auto parsed_topic = domain::parse_topic(topic);
  if (!parsed_topic) throw errors::unsupported_topic(topic);
  e.topic = *parsed_topic;
  return e;
}

}  // namespace

store::IngestRequest parse_events(std::string_view body, TimePoint now) {
  const boost::json::object root = json_body::parse_object(body);
  store::IngestRequest request;
  auto it = root.find("events");
  if (it == root.end()) {
    request.events.push_back(parse_event(root, now));
    return request;
  }
  const boost::json::array* events = it->value().if_array();
  if (!events || events->empty() || events->size() > kMaxEventsPerRequest) {
    throw errors::invalid_body("events must be an array of 1 to 1000 events");
  }
  request.events.reserve(events->size());
  for (size_t i = 0; i < events->size(); ++i) {
    const boost::json::object* o = (*events)[i].if_object();
    try {
      if (!o) throw errors::invalid_body("an event must be an object");
      request.events.push_back(parse_event(*o, now));
    } catch (ApiError& e) {
      e.message += " (events[" + std::to_string(i) + "])";
      throw;
    }
  }
  return request;
}

}  // namespace hookd::api
