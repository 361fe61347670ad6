#pragma once

#include "api/route_table.hpp"

// /healthz, /readyz, /metrics and the OpenAPI document (/openapi.json, /openapi.yaml): what
// operators, orchestrators and client generators ask, with no token.
namespace hookd::api {
class ReadinessProbe;
}

namespace hookd::api::system_routes {

void register_routes(RouteTable& table, ReadinessProbe& probe);

}  // namespace hookd::api::system_routes
