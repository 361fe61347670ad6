#include "api/event_input.hpp"

#include <gtest/gtest.h>

#include <string>

#include "api/errors.hpp"

namespace hookd::api {
namespace {

const TimePoint kNow{std::chrono::seconds(1'796'000'000)};

std::string refusal(std::string_view body) {
  try {
    parse_events(body, kNow);
  } catch (const ApiError& e) {
    return e.code + ": " + e.message.render(Language::kEn);
  }
  return "accepted";
}

TEST(EventInputTest, DataIsKeptAsTheTextThatWasSent) {
  const std::string data =
      R"({ "big":123456789012345678901234567890, "one":1.0, "zero":-0, "e":1E2,)"
      R"( "s":"caf\u00e9 \"q\" \/", "z":{"b":1,"a":2}, "list":[ 1 , 2 ] })";
  auto request =
      parse_events(R"({"deviceId":85,"topic":"DeviceStatusEvents","data":)" + data + "}", kNow);
  ASSERT_EQ(request.events.size(), 1u);
  EXPECT_EQ(request.events[0].data_json, data);
}

TEST(EventInputTest, EachEventOfABatchKeepsItsOwnData) {
  auto request = parse_events(
      "\xEF\xBB\xBF"
      R"( {"events":[{"deviceId":85,"topic":"DeviceStatusEvents","data":{"n":1.50}},)"
      R"({"deviceId":86,"topic":"DeviceStatusEvents"},)"
      R"({"data":{"n":[2e0]},"deviceId":87,"topic":"DeviceStatusEvents"}]} )",
      kNow);
  ASSERT_EQ(request.events.size(), 3u);
  EXPECT_EQ(request.events[0].data_json, R"({"n":1.50})");
  EXPECT_EQ(request.events[1].data_json, "{}");
  EXPECT_EQ(request.events[2].data_json, R"({"n":[2e0]})");
  EXPECT_EQ(request.events[2].device_id, 87);
}

TEST(EventInputTest, RepeatedKeysAndNumbersThatAreNotFiniteAreRefused) {
  EXPECT_EQ(refusal(R"({"deviceId":85,"deviceId":90,"topic":"DeviceStatusEvents"})"),
            "InvalidRequestBody: Invalid request body: repeated key \"deviceId\"");
  EXPECT_EQ(refusal(R"({"events":[{"deviceId":85,"topic":"DeviceStatusEvents",)"
                    R"("data":{"a":{"b":1,"b":2}}}]})"),
            "InvalidRequestBody: Invalid request body: repeated key \"b\"");
  EXPECT_EQ(refusal(R"({"deviceId":85,"topic":"DeviceStatusEvents","data":{"x":1e400}})"),
            "InvalidRequestBody: Invalid request body: a number is out of range (not finite)");
  EXPECT_EQ(refusal(R"({"deviceId":85,"topic":"DeviceStatusEvents","data":{"x":[-1e400]}})"),
            "InvalidRequestBody: Invalid request body: a number is out of range (not finite)");
}

TEST(EventInputTest, DataOverItsBoundAsSentIsRefused) {
  const std::string big = std::string(R"({"s":")") + std::string(64 * 1024, 'a') + "\"}";
  EXPECT_EQ(refusal(R"({"deviceId":85,"topic":"DeviceStatusEvents","data":)" + big + "}"),
            "InvalidRequestBody: Invalid request body: data is larger than 64 KiB");
}

// Found by fuzz/events_fuzzer: 1e508 became infinity, stored as text that is not JSON.
TEST(EventInputTest, RefusesNumbersPastADouble) {
  for (const char* data : {R"({"n":1e508})", R"({"a":[{"n":-1e400}]})"}) {
    SCOPED_TRACE(data);
    const std::string body =
        std::string(R"({"deviceId":85,"topic":"DeviceStatusEvents","data":)") + data + "}";
    EXPECT_EQ(refusal(body).rfind("InvalidRequestBody: ", 0), 0u) << refusal(body);
  }
}

}  // namespace
}  // namespace hookd::api
