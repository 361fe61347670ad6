#include "cli/delivery_setup.hpp"

#include <string>
#include <vector>

namespace hookd::cli {

security::DestinationGuard build_guard(const config::DeliveryConfig& delivery) {
  std::vector<security::Cidr> allow;
  for (const std::string& text : delivery.allow_targets) {
    auto cidr = security::Cidr::parse(text);
    if (!cidr) throw config::ConfigError("delivery.allow_targets: \"" + text + "\" is no CIDR");
    allow.push_back(*cidr);
  }
  return security::DestinationGuard(std::move(allow));
}

delivery::ResolverOptions resolver_options(const config::DeliveryConfig& delivery) {
  delivery::ResolverOptions options;
  options.timeout = delivery.dns_timeout;
  for (const std::string& server : delivery.dns_servers) {
    if (!delivery::parse_name_server(server)) {
      throw config::ConfigError("delivery.dns_servers: \"" + server + "\" is no ip[:port]");
    }
    options.servers.push_back(server);
  }
  return options;
}

delivery::DispatcherOptions dispatcher_options(const config::DeliveryConfig& delivery) {
  delivery::DispatcherOptions options;
  options.retry_schedule = delivery.retry_schedule;
  options.disable_after = delivery.disable_after;
  options.lease = delivery.lease;
  options.longest_attempt = std::chrono::duration_cast<std::chrono::milliseconds>(
      delivery.timeout + delivery.dns_timeout);
  options.max_in_flight = delivery.max_in_flight;
  options.max_in_flight_per_webhook = delivery.max_in_flight_per_webhook;
  options.secret_header = delivery.secret_header;
  return options;
}

}  // namespace hookd::cli
