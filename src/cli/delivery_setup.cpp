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

}  // namespace hookd::cli
