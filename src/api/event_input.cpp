#include "api/event_input.hpp"

#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "api/message_catalog.hpp"
#include "api/strict_json.hpp"

namespace hookd::api {
namespace {

// `data_text` is the event's data as it was sent.
domain::Event parse_event(const boost::json::object& o, std::optional<std::string_view> data_text,
                          TimePoint now) {
  domain::Event e;
  e.id = domain::new_event_id();
  e.device_id = json_body::required_id(o, "deviceId");
  const std::string topic = json_body::required_string(o, "topic", 64);
  if (auto id = json_body::optional_string(o, "id", kMaxProducerIdBytes)) {
    if (id->empty()) {
      throw errors::invalid_body(Message(message_key("body.not_empty")).with("field", "id"));
    }
    e.producer_id = std::move(*id);
  }
  e.type = json_body::optional_string(o, "type", kMaxEventTypeBytes);
  e.time = now;
  if (auto time = json_body::optional_string(o, "time", 64)) {
    auto parsed = parse_rfc3339(*time);
    if (!parsed) {
      throw errors::invalid_body(Message(message_key("body.date_time")).with("field", "time"));
    }
    e.time = *parsed;
  }
  if (auto it = o.find("data"); it != o.end()) {
    // The producer's own text, checked by the strict reader: re-serialising would turn
    // 123456789012345678901234567890 into 1.2345678901234568E29 and 1.0 into 1E0.
    if (!it->value().is_object() || !data_text) {
      throw errors::invalid_body(Message(message_key("body.object")).with("field", "data"));
    }
    if (data_text->size() > kMaxEventDataBytes) {
      throw errors::invalid_body(
          Message(message_key("body.larger_than"))
              .with("field", "data")
              .with("size", std::to_string(kMaxEventDataBytes / 1024) + " KiB"));
    }
    e.data_json.assign(data_text->data(), data_text->size());
  }
  // Checked last, as on webhooks: the shape of the body before the meaning of its values.
  auto parsed_topic = domain::parse_topic(topic);
  if (!parsed_topic) throw errors::unsupported_topic(topic);
  e.topic = *parsed_topic;
  return e;
}

}  // namespace

store::IngestRequest parse_events(std::string_view body, TimePoint now) {
  // Each event's data is taken as its text, so its value is not built.
  const boost::json::object root = json_body::parse_object(body, "data");
  const std::string_view root_text = strict_json::document(body);
  store::IngestRequest request;
  auto it = root.find("events");
  if (it == root.end()) {
    request.events.push_back(parse_event(root, strict_json::member_text(root_text, "data"), now));
    return request;
  }
  const boost::json::array* events = it->value().if_array();
  if (!events || events->empty() || events->size() > kMaxEventsPerRequest) {
    throw errors::invalid_body(Message(message_key("events.count"))
                                   .with("field", "events")
                                   .with("max", std::to_string(kMaxEventsPerRequest)));
  }
  request.events.reserve(events->size());
  // One pass over the text finds every event's data.
  const std::vector<strict_json::ElementMember> texts = strict_json::element_members(
      root_text.substr(strict_json::member_offset(root_text, "events").value_or(root_text.size())),
      "data");
  if (texts.size() != events->size()) {
    throw errors::invalid_body(Message(message_key("events.unreadable")).with("field", "events"));
  }
  for (size_t i = 0; i < events->size(); ++i) {
    const boost::json::object* o = (*events)[i].if_object();
    try {
      if (!o) throw errors::invalid_body(Message(message_key("events.not_object")));
      request.events.push_back(parse_event(*o, texts[i].member, now));
    } catch (ApiError& e) {
      e.message = Message(message_key("events.at"))
                      .with("detail", std::move(e.message))
                      .with("index", std::to_string(i));
      throw;
    }
  }
  return request;
}

}  // namespace hookd::api
