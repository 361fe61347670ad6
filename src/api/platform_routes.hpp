#pragma once

#include <cstdint>

#include "api/context.hpp"
#include "http/message.hpp"

// /v2/platform: the device platform keeps hookd's view of organizations, devices, groups and
// tokens current. The router lets only platform tokens in.
namespace hookd::api::platform_routes {

http::Response put_organization(ApiContext& ctx, const http::Request& req, int64_t id);
http::Response put_device(ApiContext& ctx, const http::Request& req, int64_t id);
http::Response delete_device(ApiContext& ctx, int64_t id);
http::Response put_device_group(ApiContext& ctx, const http::Request& req, int64_t id);
http::Response delete_device_group(ApiContext& ctx, int64_t id);
http::Response create_token(ApiContext& ctx, const http::Request& req);
http::Response revoke_token(ApiContext& ctx, int64_t id);

}  // namespace hookd::api::platform_routes
