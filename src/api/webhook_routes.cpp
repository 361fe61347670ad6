#include "api/webhook_routes.hpp"

#include <boost/json/serialize.hpp>

#include "api/errors.hpp"
#include "api/message_catalog.hpp"
#include "api/query.hpp"
#include "api/route_helpers.hpp"
#include "api/webhook_input.hpp"
#include "api/webhook_json.hpp"
#include "security/secrets.hpp"
#include "store/store.hpp"

namespace hookd::api::webhook_routes {
namespace {

using domain::Webhook;

void check_scope_exists(ApiContext& ctx, domain::OrganizationId org,
                        const std::optional<std::vector<domain::DeviceId>>& devices,
                        const std::optional<std::vector<domain::DeviceGroupId>>& groups) {
  if (devices) {
    if (auto missing = ctx.store.first_missing_device(org, *devices)) {
      throw errors::device_not_found(*missing);
    }
  }
  if (groups) {
    if (auto missing = ctx.store.first_missing_device_group(org, *groups)) {
      throw errors::device_group_not_found(*missing);
    }
  }
}

}  // namespace

http::Response create(ApiContext& ctx, const domain::Principal& caller, const http::Request& req) {
  const WebhookInput in = parse_webhook_input(req.body, WebhookInputMode::kCreate, ctx.guard);
  const domain::OrganizationId org = *in.organization_id;
  if (!caller.can_write(org)) throw errors::insufficient_rights();
  if (!ctx.store.organization_exists(org)) throw errors::organization_not_found(org);
  check_scope_exists(ctx, org, in.device_ids, in.device_group_ids);

  Webhook w;
  w.organization_id = org;
  w.device_ids = in.device_ids.value_or(std::vector<domain::DeviceId>{});
  w.device_group_ids = in.device_group_ids.value_or(std::vector<domain::DeviceGroupId>{});
  w.url = *in.url;
  w.topics = *in.topics;
  w.secret_hmac = security::generate_hmac_secret();
  w.secret_http = in.secret_http;
  w.created_at = w.modified_at = ctx.clock.now();
  const Webhook created = [&] {
    try {
      return ctx.store.create_webhook(w);
    } catch (const store::WebhookLimitExceeded& e) {
      throw errors::webhook_limit_exceeded(e.limit);
    }
  }();

  boost::json::object body;
  body["id"] = created.id;
  body["secretHmac"] = created.secret_hmac;
  return json_response(200, body);
}

http::Response list(ApiContext& ctx, const domain::Principal& caller, const Query& query) {
  store::WebhookQuery q;
  if (query.contains("organizationId")) {
    q.organization = query_int(query, "organizationId", 0, 1, INT64_MAX);
    if (!caller.can_see(*q.organization)) throw errors::insufficient_rights();
  } else if (caller.role != domain::Role::kPlatform) {
    q.organization = caller.organization;
  }
  q.offset = query_int(query, "offset", 0, 0, kMaxOffset);
  q.size = query_int(query, "size", kDefaultPageSize, 1, kMaxPageSize);
  boost::json::array out;
  for (const Webhook& w : ctx.store.list_webhooks(q)) out.push_back(webhook_to_json(w));
  return json_response(200, out);
}

http::Response get(ApiContext& ctx, const domain::Principal& caller, domain::WebhookId id) {
  return json_response(200, webhook_to_json(visible_webhook(ctx, caller, id)));
}

http::Response update(ApiContext& ctx, const domain::Principal& caller, const http::Request& req,
                      domain::WebhookId id) {
  Webhook w = visible_webhook(ctx, caller, id);
  const WebhookInput in = parse_webhook_input(req.body, WebhookInputMode::kUpdate, ctx.guard);
  if (!caller.can_write(w.organization_id)) throw errors::insufficient_rights();
  if (in.organization_id && *in.organization_id != w.organization_id) {
    throw errors::invalid_body(
        Message(message_key("body.unchangeable")).with("field", "organizationId"));
  }
  check_scope_exists(ctx, w.organization_id, in.device_ids, in.device_group_ids);

  if (in.device_ids) w.device_ids = *in.device_ids;
  if (in.device_group_ids) w.device_group_ids = *in.device_group_ids;
  if (in.url) w.url = *in.url;
  if (in.topics) w.topics = *in.topics;
  if (in.secret_http_present) w.secret_http = in.secret_http;
  const TimePoint now = ctx.clock.now();
  if (in.status && *in.status != w.status) {
    w.status = *in.status;
    w.disabled_reason =
        w.status == domain::WebhookStatus::kEnabled
            ? std::nullopt
            : std::optional<std::string>("Disabled through the API at " + format_rfc3339(now));
  }
  w.modified_at = now;
  if (!ctx.store.update_webhook(w)) throw errors::webhook_not_found();
  return json_response(200, webhook_to_json(w));
}

http::Response remove(ApiContext& ctx, const domain::Principal& caller, domain::WebhookId id) {
  const Webhook w = visible_webhook(ctx, caller, id);
  if (!caller.can_write(w.organization_id)) throw errors::insufficient_rights();
  if (!ctx.store.delete_webhook(id)) throw errors::webhook_not_found();
  return http::Response{204, "", ""};
}

http::Response rotate_secret(ApiContext& ctx, const domain::Principal& caller,
                             domain::WebhookId id) {
  const Webhook w = visible_webhook(ctx, caller, id);
  if (!caller.can_write(w.organization_id)) throw errors::insufficient_rights();
  const std::string secret = security::generate_hmac_secret();
  const TimePoint now = ctx.clock.now();
  if (!ctx.store.rotate_secret(id, secret, now + ctx.secret_rotation_grace, now)) {
    throw errors::webhook_not_found();
  }
  return json_response(200, boost::json::object{{"secretHmac", secret}});
}

http::Response send_test(ApiContext& ctx, const domain::Principal& caller, domain::WebhookId id) {
  const Webhook w = visible_webhook(ctx, caller, id);
  if (!caller.can_write(w.organization_id)) throw errors::insufficient_rights();
  domain::Event event;
  event.id = domain::new_event_id();
  event.organization_id = w.organization_id;
  event.topic = domain::Topic::kWebhookTest;
  event.type = "WebhookTest";
  event.time = ctx.clock.now();
  event.data_json = R"({"message":"A test event sent through the hookd API"})";
  if (!ctx.store.queue_test_event(id, event, event.time)) throw errors::webhook_not_found();
  if (ctx.work_queued) ctx.work_queued();
  return json_response(202, boost::json::object{{"eventId", event.id}});
}

void register_routes(RouteTable& table, const ApiContext& ctx) {
  const Roles any = Roles::any_token();
  const size_t body = ctx.max_body_bytes;
  auto id = [](const RouteCall& c) { return path_id(c.param(0), errors::webhook_not_found()); };
  table.add({"GET", "/v2/webhooks", any, 0, Runs::kPool,
             [](const RouteCall& c) { return list(c.ctx, c.principal(), c.query); }});
  table.add(idempotent({"POST", "/v2/webhooks", any, body, Runs::kPool, [](const RouteCall& c) {
                          return create(c.ctx, c.principal(), c.request);
                        }}));
  table.add({"GET", "/v2/webhooks/{id}", any, 0, Runs::kPool,
             [id](const RouteCall& c) { return get(c.ctx, c.principal(), id(c)); }});
  table.add({"PUT", "/v2/webhooks/{id}", any, body, Runs::kPool,
             [id](const RouteCall& c) { return update(c.ctx, c.principal(), c.request, id(c)); }});
  table.add({"DELETE", "/v2/webhooks/{id}", any, 0, Runs::kPool,
             [id](const RouteCall& c) { return remove(c.ctx, c.principal(), id(c)); }});
  table.add(idempotent(
      {"POST", "/v2/webhooks/{id}/rotate-secret", any, 0, Runs::kPool,
       [id](const RouteCall& c) { return rotate_secret(c.ctx, c.principal(), id(c)); }}));
  table.add(
      idempotent({"POST", "/v2/webhooks/{id}/test", any, 0, Runs::kPool,
                  [id](const RouteCall& c) { return send_test(c.ctx, c.principal(), id(c)); }}));
}

}  // namespace hookd::api::webhook_routes
