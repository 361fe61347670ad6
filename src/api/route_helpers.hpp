#pragma once

#include <boost/json/value.hpp>

#include "api/context.hpp"
#include "api/errors.hpp"
#include "domain/tenancy.hpp"
#include "domain/webhook.hpp"
#include "http/message.hpp"

// What several routes need: a JSON answer, an empty one, and the webhook a caller may see.
namespace hookd::api {

http::Response json_response(int status, const boost::json::value& body);
http::Response no_content();

// A positive integer id from a path segment; anything else throws `not_found`.
int64_t path_id(std::string_view segment, const ApiError& not_found);

// The webhook if the caller may see it; another organization's webhook does not exist
// (ApiError 404 WebhookNotFound), so ids cannot be probed across tenants.
domain::Webhook visible_webhook(ApiContext& ctx, const domain::Principal& caller,
                                domain::WebhookId id);

}  // namespace hookd::api
