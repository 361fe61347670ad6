#pragma once

#include "api/route_table.hpp"

// /healthz, /readyz and /metrics: what operators and orchestrators ask, with no token.
namespace hookd::api {
class ReadinessProbe;
}

namespace hookd::api::system_routes {

void register_routes(RouteTable& table, ReadinessProbe& probe);

}  // namespace hookd::api::system_routes
