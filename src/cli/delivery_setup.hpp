#pragma once

#include "config/config.hpp"
#include "delivery/resolver.hpp"
#include "security/destination_guard.hpp"

// The delivery pieces `hookd serve` builds and `hookd doctor` checks, from the configuration.
namespace hookd::cli {

// The guard of delivery.allow_targets; throws config::ConfigError for a text that is no CIDR.
security::DestinationGuard build_guard(const config::DeliveryConfig& delivery);

// delivery.dns_timeout and dns_servers; throws config::ConfigError for a malformed server.
delivery::ResolverOptions resolver_options(const config::DeliveryConfig& delivery);

}  // namespace hookd::cli
