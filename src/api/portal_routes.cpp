#include "api/portal_routes.hpp"

#include <boost/json/value.hpp>

#include "api/errors.hpp"
#include "api/route_helpers.hpp"
#include "common/clock.hpp"
#include "portal/assets.hpp"

namespace hookd::api::portal_routes {
namespace {

// A page that may not be framed keeps the seed's X-Frame-Options as well.
bool framing_allowed(std::string_view frame_ancestors) { return frame_ancestors != "'none'"; }

http::Response serve(const ApiContext& ctx, std::string_view name) {
  const auto asset = portal::find_asset(name);
  if (!asset) throw errors::route_not_found();
  http::Response r{200, std::string(asset->bytes), std::string(asset->content_type)};
  // The files change with the binary: a browser asks again rather than keep an old script.
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.content_security_policy = content_security_policy(ctx.portal_frame_ancestors);
  r.frame_options = !framing_allowed(ctx.portal_frame_ancestors);
  return r;
}

// Who the signed-in token is, from the token alone: the organization, the role (whether the
// page offers writes) and, for a portal session, when it ends.
http::Response session(const domain::Principal& caller) {
  boost::json::object out{{"organizationId", caller.organization.value()},
                          {"role", domain::role_name(caller.role)},
                          {"portalSession", caller.portal_session},
                          {"expiresAt", nullptr}};
  if (caller.expires_at) out["expiresAt"] = format_rfc3339(*caller.expires_at);
  http::Response r = json_response(200, out);
  // It names a token's holder: no cache keeps it.
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

std::string content_security_policy(std::string_view frame_ancestors) {
  return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "connect-src 'self'; frame-ancestors " +
         std::string(frame_ancestors) + "; base-uri 'none'; form-action 'none'";
}

void register_routes(RouteTable& table) {
  // "/portal/" and "/portal" are one resource; the page names its files by absolute path.
  table.add(Route{"GET",
                  "/portal",
                  Roles::public_route(),
                  0,
                  Runs::kOnHead,
                  [](const RouteCall& c) { return serve(c.ctx, "index.html"); },
                  {}});
  // An organization's tokens alone, portal sessions among them; a platform token is 403.
  table.add(Route{"GET",
                  "/portal/session",
                  Roles::of({domain::Role::kAdmin, domain::Role::kRead}),
                  0,
                  Runs::kOnHead,
                  [](const RouteCall& c) { return session(c.principal()); },
                  {}});
  table.add(Route{"GET",
                  "/portal/{file}",
                  Roles::public_route(),
                  0,
                  Runs::kOnHead,
                  [](const RouteCall& c) { return serve(c.ctx, c.param(0)); },
                  {}});
}

}  // namespace hookd::api::portal_routes
