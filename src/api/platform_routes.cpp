#include "api/platform_routes.hpp"

#include <boost/json/serialize.hpp>

#include "api/errors.hpp"
#include "api/event_input.hpp"
#include "api/json_body.hpp"
#include "api/message_catalog.hpp"
#include "api/route_helpers.hpp"
#include "common/log.hpp"
#include "config/config.hpp"
#include "ingest/ingestor.hpp"
#include "observability/metrics.hpp"
#include "security/secrets.hpp"
#include "security/token_cache.hpp"
#include "store/store.hpp"

namespace hookd::api::platform_routes {
namespace {

constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxGroupDevices = 10'000;
constexpr std::chrono::milliseconds kDefaultSessionTtl = std::chrono::hours(1);
constexpr std::chrono::milliseconds kMinSessionTtl = std::chrono::minutes(1);
constexpr std::chrono::milliseconds kMaxSessionTtl = std::chrono::hours(24);

// "30m", "1h" ... between one minute and a day; absent: an hour.
std::chrono::milliseconds session_ttl(const std::optional<std::string>& text) {
  if (!text) return kDefaultSessionTtl;
  const Message expected =
      Message(message_key("session.ttl")).with("field", "ttl").with("min", "1m").with("max", "24h");
  std::chrono::milliseconds ttl{};
  try {
    ttl = config::parse_duration(*text);
  } catch (const config::ConfigError&) {
    throw errors::invalid_body(expected);
  }
  if (ttl < kMinSessionTtl || ttl > kMaxSessionTtl) throw errors::invalid_body(expected);
  return ttl;
}

void throw_put_outcome(const store::PutOutcome& outcome) {
  switch (outcome.kind) {
    case store::PutOutcome::Kind::kOk:
      return;
    case store::PutOutcome::Kind::kOrganizationNotFound:
      throw errors::organization_not_found(outcome.missing_id);
    case store::PutOutcome::Kind::kDeviceNotFound:
      throw errors::device_not_found(outcome.missing_id);
  }
}

}  // namespace

http::Response put_organization(ApiContext& ctx, const http::Request& req, int64_t id) {
  const auto body = json_body::parse_object(req.body);
  domain::Organization org{id, json_body::required_string(body, "name", kMaxNameBytes)};
  ctx.store.put_organization(org);
  boost::json::object out{{"id", org.id}, {"name", org.name}};
  return json_response(200, out);
}

http::Response put_device(ApiContext& ctx, const http::Request& req, int64_t id) {
  const auto body = json_body::parse_object(req.body);
  domain::Device device{id, json_body::required_id(body, "organizationId"),
                        json_body::optional_string(body, "name", kMaxNameBytes).value_or("")};
  throw_put_outcome(ctx.store.put_device(device));
  boost::json::object out{
      {"id", device.id}, {"organizationId", device.organization_id}, {"name", device.name}};
  return json_response(200, out);
}

http::Response delete_device(ApiContext& ctx, int64_t id) {
  if (!ctx.store.delete_device(id)) throw errors::device_not_found(id);
  return no_content();
}

http::Response put_device_group(ApiContext& ctx, const http::Request& req, int64_t id) {
  const auto body = json_body::parse_object(req.body);
  domain::DeviceGroup group;
  group.id = id;
  group.organization_id = json_body::required_id(body, "organizationId");
  group.name = json_body::optional_string(body, "name", kMaxNameBytes).value_or("");
  group.device_ids = json_body::optional_id_list(body, "deviceIds", kMaxGroupDevices)
                         .value_or(std::vector<domain::DeviceId>{});
  throw_put_outcome(ctx.store.put_device_group(group));
  boost::json::object out{
      {"id", group.id},
      {"organizationId", group.organization_id},
      {"name", group.name},
      {"deviceIds", boost::json::array(group.device_ids.begin(), group.device_ids.end())}};
  return json_response(200, out);
}

http::Response delete_device_group(ApiContext& ctx, int64_t id) {
  if (!ctx.store.delete_device_group(id)) throw errors::device_group_not_found(id);
  return no_content();
}

http::Response create_token(ApiContext& ctx, const http::Request& req) {
  const auto body = json_body::parse_object(req.body);
  const auto role = domain::parse_role(json_body::required_string(body, "role", 16));
  if (!role) {
    throw errors::invalid_body(Message(message_key("body.one_of"))
                                   .with("field", "role")
                                   .with("choices", R"("admin", "read", "platform")"));
  }
  const auto org = json_body::optional_id(body, "organizationId");
  if (*role != domain::Role::kPlatform) {
    if (!org) throw errors::invalid_body(Message(message_key("token.organization_required")));
    if (!ctx.store.organization_exists(*org)) throw errors::organization_not_found(*org);
  } else if (org) {
    throw errors::invalid_body(Message(message_key("token.platform_organization")));
  }
  const std::string token = security::generate_token();
  const domain::TokenId id = ctx.store.create_token(*role, org, security::hash_token(token));
  boost::json::object out{{"id", id}, {"token", token}};
  return json_response(200, out);
}

http::Response create_portal_session(ApiContext& ctx, const http::Request& req) {
  const auto body = json_body::parse_object(req.body);
  const int64_t org = json_body::required_id(body, "organizationId");
  const auto role = domain::parse_role(json_body::required_string(body, "role", 16));
  if (!role || *role == domain::Role::kPlatform) {
    throw errors::invalid_body(Message(message_key("body.one_of"))
                                   .with("field", "role")
                                   .with("choices", R"("admin", "read")"));
  }
  const auto ttl = session_ttl(json_body::optional_string(body, "ttl", 32));
  if (!ctx.store.organization_exists(org)) throw errors::organization_not_found(org);
  const std::string token = security::generate_token();
  const TimePoint expires_at =
      ctx.clock.now() + std::chrono::duration_cast<std::chrono::microseconds>(ttl);
  ctx.store.create_portal_session(*role, org, security::hash_token(token), expires_at);
  // In the fragment, the token never reaches a server's or a proxy's log.
  boost::json::object out{{"token", token},
                          {"url", ctx.portal_base_url + "/portal/#token=" + token},
                          {"expiresAt", format_rfc3339(expires_at)}};
  return json_response(200, out);
}

http::Response revoke_token(ApiContext& ctx, int64_t id) {
  if (!ctx.store.revoke_token(id)) throw errors::token_not_found();
  return no_content();
}

void ingest_events(ApiContext& ctx, const http::Request& req, Language language,
                   http::Responder respond) {
  if (!ctx.ingestor) throw errors::service_unavailable();
  store::IngestRequest request = parse_events(req.body, ctx.clock.now());
  ctx.ingestor->submit(std::move(request), [respond, language, metrics = ctx.metrics](
                                               const store::IngestOutcome* outcome,
                                               const char* error) {
    if (!outcome) {
      log::warn("events not accepted", {{"error", error}});
      return respond(to_response(errors::service_unavailable(), language));
    }
    if (!outcome->ok)
      return respond(to_response(errors::device_not_found(outcome->missing_device), language));
    boost::json::array events;
    uint64_t stored = 0;
    for (const auto& e : outcome->events) {
      if (!e.duplicate) ++stored;
      events.push_back(boost::json::object{
          {"id", e.id}, {"deliveries", e.deliveries}, {"duplicate", e.duplicate}});
    }
    if (metrics) metrics->events_ingested(stored);
    respond(http::Response{202, boost::json::serialize(boost::json::object{{"events", events}})});
  });
}

void register_routes(RouteTable& table, const ApiContext& ctx) {
  const Roles platform = Roles::of({domain::Role::kPlatform});
  const size_t body = ctx.max_body_bytes;
  auto id = [](ApiError (*not_found)()) {
    return [not_found](const RouteCall& c) { return path_id(c.param(0), not_found()); };
  };
  // Parsing is memory-only and the ingestor queues: the I/O thread never waits on the store
  // (an Idempotency-Key is judged on the pool first).
  table.add(idempotent({"POST",
                        "/v2/platform/events",
                        platform,
                        kMaxEventsBodyBytes,
                        Runs::kInline,
                        {},
                        [](const RouteCall& c, http::Responder respond) {
                          ingest_events(c.ctx, c.request, c.language, std::move(respond));
                        }}));
  table.add(idempotent({"POST", "/v2/platform/tokens", platform, body, Runs::kPool,
                        [](const RouteCall& c) { return create_token(c.ctx, c.request); }}));
  table.add(
      idempotent({"POST", "/v2/platform/portal-sessions", platform, body, Runs::kPool,
                  [](const RouteCall& c) { return create_portal_session(c.ctx, c.request); }}));
  table.add({"DELETE", "/v2/platform/tokens/{id}", platform, 0, Runs::kPool,
             [token = id(errors::token_not_found)](const RouteCall& c) {
               auto response = revoke_token(c.ctx, token(c));
               c.tokens.clear();  // the revoked token must not outlive its cache entry
               return response;
             }});
  table.add({"PUT", "/v2/platform/organizations/{id}", platform, body, Runs::kPool,
             [org = id(errors::route_not_found)](const RouteCall& c) {
               return put_organization(c.ctx, c.request, org(c));
             }});
  auto device = id([] { return errors::device_not_found(0); });
  table.add({"PUT", "/v2/platform/devices/{id}", platform, body, Runs::kPool,
             [device](const RouteCall& c) { return put_device(c.ctx, c.request, device(c)); }});
  table.add({"DELETE", "/v2/platform/devices/{id}", platform, 0, Runs::kPool,
             [device](const RouteCall& c) { return delete_device(c.ctx, device(c)); }});
  auto group = id([] { return errors::device_group_not_found(0); });
  table.add({"PUT", "/v2/platform/device-groups/{id}", platform, body, Runs::kPool,
             [group](const RouteCall& c) { return put_device_group(c.ctx, c.request, group(c)); }});
  table.add({"DELETE", "/v2/platform/device-groups/{id}", platform, 0, Runs::kPool,
             [group](const RouteCall& c) { return delete_device_group(c.ctx, group(c)); }});
}

}  // namespace hookd::api::platform_routes
