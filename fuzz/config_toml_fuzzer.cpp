// The TOML configuration file (config::apply_toml_text, then config::validate).
#include "config/config.hpp"
#include "fuzz_support.hpp"

using namespace hookd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  config::Config c;
  try {
    config::apply_toml_text(c, fuzz::as_text(data, size), "fuzz.toml");
    config::validate(c);
  } catch (const config::ConfigError& e) {
    FUZZ_CHECK(e.what()[0] != '\0');
    return 0;
  }
  // A configuration that validates can run: positive times, a lease longer than a timeout,
  // a schedule of 1 to 50 non-negative delays.
  const config::DeliveryConfig& d = c.delivery;
  FUZZ_CHECK(d.timeout.count() > 0 && d.connect_timeout.count() > 0);
  FUZZ_CHECK(d.lease > d.timeout);
  FUZZ_CHECK(d.retention.count() > 0);
  FUZZ_CHECK(d.disable_after.count() >= 0 && d.secret_rotation_grace.count() >= 0);
  FUZZ_CHECK(!d.retry_schedule.empty() && d.retry_schedule.size() <= 50);
  for (const auto& delay : d.retry_schedule) FUZZ_CHECK(delay.count() >= 0);
  FUZZ_CHECK(c.threads <= 256);
  FUZZ_CHECK(d.max_in_flight >= 1 && d.max_in_flight_per_webhook >= 1);
  return 0;
}
