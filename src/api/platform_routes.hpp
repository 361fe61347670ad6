#pragma once

#include <cstdint>

#include "api/context.hpp"
#include "api/route_table.hpp"
#include "http/message.hpp"

// /v2/platform: the device platform keeps hookd's view of organizations, devices, groups and
// tokens current. Only platform tokens are let in.
namespace hookd::api::platform_routes {

http::Response put_organization(ApiContext& ctx, const http::Request& req, int64_t id);
http::Response put_device(ApiContext& ctx, const http::Request& req, int64_t id);
http::Response delete_device(ApiContext& ctx, int64_t id);
http::Response put_device_group(ApiContext& ctx, const http::Request& req, int64_t id);
http::Response delete_device_group(ApiContext& ctx, int64_t id);
http::Response create_token(ApiContext& ctx, const http::Request& req);
http::Response revoke_token(ApiContext& ctx, int64_t id);
// Hands the events to the ingestor and answers once they are committed, from its thread.
void ingest_events(ApiContext& ctx, const http::Request& req, http::Responder respond);

void register_routes(RouteTable& table, const ApiContext& ctx);

}  // namespace hookd::api::platform_routes
