#pragma once

#include "config/config.hpp"
#include "delivery/dispatcher.hpp"
#include "delivery/resolver.hpp"
#include "security/destination_guard.hpp"

// The delivery pieces `hookd serve` builds and `hookd doctor` checks, from the configuration.
namespace hookd::cli {

// The guard of delivery.allow_targets; throws config::ConfigError for a text that is no CIDR.
security::DestinationGuard build_guard(const config::DeliveryConfig& delivery);

// delivery.dns_timeout and dns_servers; throws config::ConfigError for a malformed server.
delivery::ResolverOptions resolver_options(const config::DeliveryConfig& delivery);

// The dispatcher's options. Its longest attempt is the name's resolution and the whole request
// (dns_timeout + timeout): handed-off work with less of its lease left is left to a claim.
delivery::DispatcherOptions dispatcher_options(const config::DeliveryConfig& delivery);

}  // namespace hookd::cli
