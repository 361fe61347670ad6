#include "api/event_input.hpp"

#include <gtest/gtest.h>

#include "api/errors.hpp"

namespace hookd::api {
namespace {

const TimePoint kNow = from_unix_micros(1'795'935'966'000'000);

TEST(ParseEvents, KeepsDataAsAnObject) {
  const auto request = parse_events(
      R"({"deviceId":85,"topic":"DeviceTamperEvents","data":{"level":3,"x":[1.5,-2e300]}})", kNow);
  ASSERT_EQ(request.events.size(), 1u);
  EXPECT_EQ(request.events[0].device_id, 85);
  EXPECT_EQ(request.events[0].time, kNow);
}

// Found by fuzz/events_fuzzer: 1e508 became infinity, stored as text that is not JSON.
TEST(ParseEvents, RefusesNumbersPastADouble) {
  for (const char* data : {R"({"n":1e508})", R"({"a":[{"n":-1e400}]})"}) {
    SCOPED_TRACE(data);
    const std::string body =
        std::string(R"({"deviceId":85,"topic":"DeviceStatusEvents","data":)") + data + "}";
    try {
      parse_events(body, kNow);
      ADD_FAILURE() << "accepted";
    } catch (const ApiError& e) {
      EXPECT_EQ(e.status, 400);
      EXPECT_EQ(e.code, "InvalidRequestBody");
    }
  }
}

}  // namespace
}  // namespace hookd::api
