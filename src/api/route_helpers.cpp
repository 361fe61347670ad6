#include "api/route_helpers.hpp"

#include <boost/json/serialize.hpp>
#include <charconv>

#include "api/errors.hpp"
#include "store/store.hpp"

namespace hookd::api {

http::Response json_response(int status, const boost::json::value& body) {
  return http::Response{status, boost::json::serialize(body)};
}

http::Response no_content() { return http::Response{204, "", ""}; }

int64_t path_id(std::string_view segment, const ApiError& not_found) {
  int64_t id = 0;
  auto [ptr, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), id);
  if (ec != std::errc() || ptr != segment.data() + segment.size() || id <= 0) throw not_found;
  return id;
}

domain::Webhook visible_webhook(ApiContext& ctx, const domain::Principal& caller,
                                domain::WebhookId id) {
  auto w = ctx.store.find_webhook(id);
  if (!w || !caller.can_see(w->organization_id)) throw errors::webhook_not_found();
  return std::move(*w);
}

}  // namespace hookd::api
