#pragma once

#include "api/context.hpp"
#include "api/route_table.hpp"
#include "domain/tenancy.hpp"
#include "domain/webhook.hpp"
#include "http/message.hpp"

// /v2/webhooks: the public API of the seed. Each route receives an authenticated caller;
// errors are thrown as ApiError.
namespace hookd::api::webhook_routes {

http::Response create(ApiContext& ctx, const domain::Principal& caller, const http::Request& req);
http::Response list(ApiContext& ctx, const domain::Principal& caller, const Query& query);
http::Response get(ApiContext& ctx, const domain::Principal& caller, domain::WebhookId id);
http::Response update(ApiContext& ctx, const domain::Principal& caller, const http::Request& req,
                      domain::WebhookId id);
http::Response remove(ApiContext& ctx, const domain::Principal& caller, domain::WebhookId id);
http::Response rotate_secret(ApiContext& ctx, const domain::Principal& caller,
                             domain::WebhookId id);
http::Response send_test(ApiContext& ctx, const domain::Principal& caller, domain::WebhookId id);

void register_routes(RouteTable& table, const ApiContext& ctx);

}  // namespace hookd::api::webhook_routes
