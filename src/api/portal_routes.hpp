#pragma once

#include <string>
#include <string_view>

#include "api/route_table.hpp"

// /portal/ and its files: the organization's web page, served from the binary, no token; and
// /portal/session, who the page's token is.
namespace hookd::api::portal_routes {

// The portal pages' Content-Security-Policy, framed by `frame_ancestors`.
std::string content_security_policy(std::string_view frame_ancestors);

void register_routes(RouteTable& table);

}  // namespace hookd::api::portal_routes
