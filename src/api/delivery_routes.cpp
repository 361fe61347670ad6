#include "api/delivery_routes.hpp"

#include <boost/json/serialize.hpp>

#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "api/message_catalog.hpp"
#include "api/query.hpp"
#include "api/route_helpers.hpp"
#include "api/strict_json.hpp"
#include "store/store.hpp"

namespace hookd::api::delivery_routes {
namespace {

boost::json::value optional_time(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  return boost::json::string(format_rfc3339(*t));
}

boost::json::object summary_json(const store::DeliverySummary& d) {
  boost::json::object o;
  o["id"] = d.id;
  o["eventId"] = d.event_id;
  o["topic"] = domain::topic_name(d.topic);
  o["status"] = domain::delivery_status_name(d.status);
  o["attemptCount"] = d.attempt_count;
  o["nextAttemptAt"] = optional_time(d.next_attempt_at);
  if (d.last_status_code) {
    o["lastStatusCode"] = *d.last_status_code;
  } else {
    o["lastStatusCode"] = nullptr;
  }
  if (d.last_error) {
    o["lastError"] = *d.last_error;
  } else {
    o["lastError"] = nullptr;
  }
  o["dateCreated"] = format_rfc3339(d.created_at);
  return o;
}

}  // namespace

http::Response list(ApiContext& ctx, const domain::Principal& caller, domain::WebhookId webhook,
                    const Query& query) {
  visible_webhook(ctx, caller, webhook);
  store::DeliveryQuery q;
  q.webhook_id = webhook;
  if (auto it = query.find("status"); it != query.end()) {
    q.status = domain::parse_delivery_status(it->second);
    if (!q.status) {
      throw errors::invalid_query(Message(message_key("body.one_of"))
                                      .with("field", "status")
                                      .with("choices", "pending, succeeded, failed, skipped"));
    }
  }
  q.offset = query_int(query, "offset", 0, 0, kMaxOffset);
  q.size = query_int(query, "size", kDefaultPageSize, 1, kMaxPageSize);
  boost::json::array out;
  for (const auto& d : ctx.store.list_deliveries(q)) out.push_back(summary_json(d));
  return json_response(200, out);
}

http::Response get(ApiContext& ctx, const domain::Principal& caller, domain::WebhookId webhook,
                   domain::DeliveryId id) {
  visible_webhook(ctx, caller, webhook);
  auto detail = ctx.store.find_delivery(webhook, id);
  if (!detail) throw errors::delivery_not_found();
  const boost::json::object o = summary_json(detail->summary);
  boost::json::array attempts;
  for (const auto& a : detail->attempts) {
    boost::json::object ao;
    ao["attempt"] = a.number;
    ao["at"] = format_rfc3339(a.result.at);
    ao["durationMs"] = a.result.duration_ms;
    if (a.result.status_code) {
      ao["statusCode"] = *a.result.status_code;
    } else {
      ao["statusCode"] = nullptr;
    }
    if (a.result.error) {
      ao["error"] = *a.result.error;
    } else {
      ao["error"] = nullptr;
    }
    ao["responseBody"] = a.result.response_body;
    attempts.push_back(std::move(ao));
  }
  // The delivered body goes in as its bytes: a parse and re-serialisation would change big
  // integers and 1.0. A row stored before data was checked may hold text that is not JSON
  // (Infinity); that body is shown as a JSON string rather than failing the whole answer.
  const std::string body = domain::delivery_body(detail->event, webhook);
  std::string out = boost::json::serialize(o);
  out.pop_back();
  out += ",\"event\":";
  out += strict_json::problem(detail->event.data_json).empty()
             ? body
             : boost::json::serialize(boost::json::string(body));
  out += ",\"attempts\":";
  out += boost::json::serialize(attempts);
  out += '}';
  return http::Response{200, std::move(out)};
}

http::Response retry(ApiContext& ctx, const domain::Principal& caller, domain::WebhookId webhook,
                     domain::DeliveryId id) {
  const domain::Webhook w = visible_webhook(ctx, caller, webhook);
  if (!caller.can_write(w.organization_id)) throw errors::insufficient_rights();
  if (!ctx.store.retry_delivery(webhook, id, ctx.clock.now())) {
    throw errors::delivery_not_found();
  }
  if (ctx.work_queued) ctx.work_queued();
  return json_response(202, boost::json::object{{"id", id}, {"status", "pending"}});
}

http::Response recover(ApiContext& ctx, const domain::Principal& caller, const http::Request& req,
                       domain::WebhookId webhook) {
  const domain::Webhook w = visible_webhook(ctx, caller, webhook);
  const auto body = json_body::parse_object(req.body);
  const std::string since_text = json_body::required_string(body, "since", 64);
  const auto since = parse_rfc3339(since_text);
  if (!since) {
    throw errors::invalid_body(Message(message_key("body.date_time")).with("field", "since"));
  }
  if (!caller.can_write(w.organization_id)) throw errors::insufficient_rights();
  const int64_t count = ctx.store.recover_deliveries(webhook, *since, ctx.clock.now());
  if (count > 0 && ctx.work_queued) ctx.work_queued();
  return json_response(202, boost::json::object{{"count", count}});
}

void register_routes(RouteTable& table, const ApiContext& ctx) {
  const Roles any = Roles::any_token();
  auto webhook = [](const RouteCall& c) {
    return path_id(c.param(0), errors::webhook_not_found());
  };
  auto delivery = [](const RouteCall& c) {
    return path_id(c.param(1), errors::delivery_not_found());
  };
  table.add(
      {"GET", "/v2/webhooks/{id}/deliveries", any, 0, Runs::kPool,
       [webhook](const RouteCall& c) { return list(c.ctx, c.principal(), webhook(c), c.query); }});
  table.add(idempotent({"POST", "/v2/webhooks/{id}/recover", any, ctx.max_body_bytes, Runs::kPool,
                        [webhook](const RouteCall& c) {
                          return recover(c.ctx, c.principal(), c.request, webhook(c));
                        }}));
  table.add({"GET", "/v2/webhooks/{id}/deliveries/{deliveryId}", any, 0, Runs::kPool,
             [webhook, delivery](const RouteCall& c) {
               const int64_t w = webhook(c);
               return get(c.ctx, c.principal(), w, delivery(c));
             }});
  table.add(idempotent({"POST", "/v2/webhooks/{id}/deliveries/{deliveryId}/retry", any, 0,
                        Runs::kPool, [webhook, delivery](const RouteCall& c) {
                          const int64_t w = webhook(c);
                          return retry(c.ctx, c.principal(), w, delivery(c));
                        }}));
}

}  // namespace hookd::api::delivery_routes
