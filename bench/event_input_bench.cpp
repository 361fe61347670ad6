// Reading a full POST /v2/platform/events batch: 1,000 events of about 16 KiB each (16 MiB in
// all). ParseEvents is hookd's reader (strict checks, data kept as sent); BoostParseAndSerialize
// is what it replaced, boost::json::parse and one serialize per event's data, for comparison.
//   build/bench/hookd_bench --benchmark_filter=EventBatch
#include <benchmark/benchmark.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "api/event_input.hpp"

namespace {

using namespace hookd;

// Each event's data mixes what device payloads hold: short keys, integers, floats, strings.
std::string batch_body() {
  std::string body = R"({"events":[)";
  for (int e = 0; e < 1000; ++e) {
    if (e) body += ',';
    body += R"({"deviceId":85,"topic":"DeviceStatusEvents","type":"DeviceStatusBattery",)"
            R"("time":"2026-11-29T06:00:00Z","id":"lock-85-)" +
            std::to_string(e) + R"(","data":{)";
    for (int i = 0; i < 240; ++i) {
      if (i) body += ',';
      body += "\"reading" + std::to_string(i) + "\":{\"v\":" + std::to_string(e * 1000 + i) +
              ".25,\"unit\":\"mV\",\"ok\":true}";
    }
    body += "}}";
  }
  return body + "]}";
}

const std::string& body() {
  static const std::string b = batch_body();
  return b;
}

void BM_EventBatchParseEvents(benchmark::State& state) {
  const TimePoint now{std::chrono::seconds(1'796'000'000)};
  for (auto _ : state) {
    auto request = api::parse_events(body(), now);
    benchmark::DoNotOptimize(request);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body().size()));
}
BENCHMARK(BM_EventBatchParseEvents)->Unit(benchmark::kMillisecond);

void BM_EventBatchBoostParseAndSerialize(benchmark::State& state) {
  for (auto _ : state) {
    boost::json::value v = boost::json::parse(body());
    std::vector<std::string> data;
    for (const auto& e : v.at("events").as_array()) {
      data.push_back(boost::json::serialize(e.at("data")));
    }
    benchmark::DoNotOptimize(data);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body().size()));
}
BENCHMARK(BM_EventBatchBoostParseAndSerialize)->Unit(benchmark::kMillisecond);

}  // namespace
