// Durations in the configuration (config::parse_duration): "500ms", "5s", "5m", "2h", "5d".
#include "config/config.hpp"
#include "fuzz_support.hpp"

using namespace hookd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  config::Duration d;
  try {
    d = config::parse_duration(fuzz::as_text(data, size));
  } catch (const config::ConfigError& e) {
    FUZZ_CHECK(e.what()[0] != '\0');
    return 0;
  }
  FUZZ_CHECK(d.count() >= 0);
  // It parses back to the same value, written in milliseconds or in whole seconds.
  FUZZ_CHECK(config::parse_duration(std::to_string(d.count()) + "ms") == d);
  if (d.count() % 1000 == 0) {
    FUZZ_CHECK(config::parse_duration(std::to_string(d.count() / 1000)) == d);
  }
  return 0;
}
