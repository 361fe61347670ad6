#pragma once

#include "api/context.hpp"
#include "api/route_table.hpp"
#include "domain/delivery.hpp"
#include "domain/tenancy.hpp"
#include "domain/webhook.hpp"
#include "http/message.hpp"

// /v2/webhooks/{id}/deliveries and /recover: the delivery log of one webhook, and sending
// again what failed.
namespace hookd::api::delivery_routes {

http::Response list(ApiContext& ctx, const domain::Principal& caller, domain::WebhookId webhook,
                    const Query& query);
http::Response get(ApiContext& ctx, const domain::Principal& caller, domain::WebhookId webhook,
                   domain::DeliveryId id);
http::Response retry(ApiContext& ctx, const domain::Principal& caller, domain::WebhookId webhook,
                     domain::DeliveryId id);
http::Response recover(ApiContext& ctx, const domain::Principal& caller, const http::Request& req,
                       domain::WebhookId webhook);

void register_routes(RouteTable& table, const ApiContext& ctx);

}  // namespace hookd::api::delivery_routes
