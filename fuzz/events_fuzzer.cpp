// POST /v2/platform/events bodies (api::parse_events): one event or {"events": [...]}.
#include <boost/json/parse.hpp>

#include "api/event_input.hpp"
#include "domain/event.hpp"
#include "domain/topic.hpp"
#include "fuzz_support.hpp"

using namespace hookd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fuzz::FixedClock clock;
  const TimePoint now = clock.now();
  store::IngestRequest request;
  try {
    request = api::parse_events(fuzz::as_text(data, size), now);
  } catch (const api::ApiError& e) {
    fuzz::check_client_error(e);
    return 0;
  }
  FUZZ_CHECK(!request.events.empty() && request.events.size() <= api::kMaxEventsPerRequest);
  for (const domain::Event& e : request.events) {
    FUZZ_CHECK(e.device_id > 0);
    FUZZ_CHECK(e.id.starts_with("evt_"));
    FUZZ_CHECK(!domain::topic_name(e.topic).empty());
    if (e.producer_id) {
      FUZZ_CHECK(!e.producer_id->empty() && e.producer_id->size() <= api::kMaxProducerIdBytes);
    }
    if (e.type) FUZZ_CHECK(e.type->size() <= api::kMaxEventTypeBytes);
    // What is stored as data is a JSON object again, within its bound.
    if (!e.data_json.empty()) {
      FUZZ_CHECK(e.data_json.size() <= api::kMaxEventDataBytes);
      boost::system::error_code ec;
      const auto v = boost::json::parse(e.data_json, ec);
      FUZZ_CHECK(!ec && v.is_object());
    }
    // The delivered body is JSON whose time reads back as an RFC 3339 date-time.
    boost::system::error_code ec;
    const auto delivered = boost::json::parse(domain::delivery_body(e, 1), ec);
    FUZZ_CHECK(!ec && delivered.is_object());
    const auto* time = delivered.as_object().if_contains("time");
    FUZZ_CHECK(time && time->is_string() && parse_rfc3339(time->as_string()));
  }
  return 0;
}
