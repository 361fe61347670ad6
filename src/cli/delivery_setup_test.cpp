// The dispatcher `hookd serve` builds from the configuration: each delivery setting reaches it,
// and it starts no attempt that could outlive its lease (name resolution and the whole request
// together).
#include "cli/delivery_setup.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace hookd::cli {
namespace {

using namespace std::chrono_literals;

TEST(DeliverySetupTest, TheDispatcherGetsTheDeliverySettings) {
  config::DeliveryConfig d;
  d.retry_schedule = {2s, 1min};
  d.disable_after = 48h;
  d.lease = 40s;
  d.timeout = 20s;
  d.dns_timeout = 3s;
  d.max_in_flight = 100;
  d.max_in_flight_per_webhook = 7;
  d.secret_header = "x-device-secret";

  const delivery::DispatcherOptions o = dispatcher_options(d);
  EXPECT_EQ(o.retry_schedule, (std::vector<std::chrono::milliseconds>{2s, 1min}));
  EXPECT_EQ(o.disable_after, 48h);
  EXPECT_EQ(o.lease, 40s);
  EXPECT_EQ(o.max_in_flight, 100u);
  EXPECT_EQ(o.max_in_flight_per_webhook, 7u);
  EXPECT_EQ(o.secret_header, "x-device-secret");
  // Work that has waited for a slot until less of its lease is left than this is not started.
  EXPECT_EQ(o.longest_attempt, 23s);
}

TEST(DeliverySetupTest, TheDefaultsLeaveEveryAttemptWithinItsLease) {
  const delivery::DispatcherOptions o = dispatcher_options(config::DeliveryConfig{});
  EXPECT_EQ(o.longest_attempt, 17s);
  EXPECT_LT(o.longest_attempt, o.lease);
}

}  // namespace
}  // namespace hookd::cli
