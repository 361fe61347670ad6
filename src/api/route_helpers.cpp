#include "api/route_helpers.hpp"

#include <boost/json/serialize.hpp>

#include "api/errors.hpp"
#include "store/store.hpp"

namespace hookd::api {

http::Response json_response(int status, const boost::json::value& body) {
  return http::Response{status, boost::json::serialize(body)};
}

http::Response no_content() { return http::Response{204, "", ""}; }

domain::Webhook visible_webhook(ApiContext& ctx, const domain::Principal& caller,
                                domain::WebhookId id) {
  auto w = ctx.store.find_webhook(id);
  if (!w || !caller.can_see(w->organization_id)) throw errors::webhook_not_found();
  return std::move(*w);
}

}  // namespace hookd::api
