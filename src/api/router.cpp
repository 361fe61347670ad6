#include "api/router.hpp"

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <charconv>

#include "api/auth.hpp"
#include "api/delivery_routes.hpp"
#include "api/errors.hpp"
#include "api/event_input.hpp"
#include "api/platform_routes.hpp"
#include "api/webhook_routes.hpp"
#include "common/log.hpp"
#include "ingest/ingestor.hpp"
#include "observability/metrics.hpp"
#include "security/secrets.hpp"
#include "store/store.hpp"

namespace hookd::api {
namespace {

struct Target {
  std::vector<std::string> segments;
  Query query;
};

std::optional<Target> parse_target(std::string_view text) {
  auto parsed = boost::urls::parse_origin_form(text);
  if (!parsed) return std::nullopt;
  Target t;
  for (auto segment : parsed->segments()) t.segments.push_back(segment);
  // "/v2/webhooks/" names the same resource as "/v2/webhooks".
  if (!t.segments.empty() && t.segments.back().empty()) t.segments.pop_back();
  for (auto param : parsed->params()) t.query[param.key] = param.value;
  return t;
}

std::optional<int64_t> parse_id(std::string_view s) {
  int64_t id = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || ptr != s.data() + s.size() || id <= 0) return std::nullopt;
  return id;
}

int64_t id_or(std::string_view s, const ApiError& not_found) {
  auto id = parse_id(s);
  if (!id) throw not_found;
  return *id;
}

http::Response text_response(int status, std::string body) {
  return http::Response{status, std::move(body)};
}

}  // namespace

constexpr std::string_view kEventsPath = "/v2/platform/events";

size_t Router::body_limit(std::string_view target, size_t default_limit) {
  return target.starts_with(kEventsPath) ? kMaxEventsBodyBytes : default_limit;
}

Router::Router(ApiContext ctx)
    : ctx_(ctx), request_id_prefix_("req_" + security::random_alphanumeric(8) + "_") {}

void Router::handle(http::Request request, http::Responder respond) {
  // Every answer is counted, and logged with its request id at debug level (an access log);
  // answers of 500 and above are logged at error level whatever the level.
  const uint64_t number = next_request_.fetch_add(1, std::memory_order_relaxed);
  respond = [this, number, method = request.method,
             path = request.target.substr(0, request.target.find('?')),
             started = std::chrono::steady_clock::now(),
             respond = std::move(respond)](http::Response r) {
    if (ctx_.metrics) ctx_.metrics->http_response(r.status);
    const auto level = r.status >= 500 ? log::Level::kError : log::Level::kDebug;
    if (log::enabled(level)) {
      const std::string id = request_id_prefix_ + std::to_string(number);
      const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
      log::write(level, "request",
                 {{"request_id", std::string_view(id)},
                  {"method", std::string_view(method)},
                  {"path", std::string_view(path)},
                  {"status", r.status},
                  {"duration_us", static_cast<long long>(micros)}});
    }
    respond(std::move(r));
  };
  std::optional<http::Response> response;
  try {
    response = dispatch(request, respond);
  } catch (const ApiError& e) {
    response = to_response(e);
  } catch (const store::StoreError& e) {
    log::error("database error",
               {{"request_id", std::string_view(request_id_prefix_ + std::to_string(number))},
                {"error", e.what()}});
    response = to_response(errors::service_unavailable());
  }
  if (response) respond(std::move(*response));
}

void Router::ingest_events(const http::Request& req, const http::Responder& respond) {
  if (!ctx_.ingestor) throw errors::service_unavailable();
  store::IngestRequest request = parse_events(req.body, ctx_.clock.now());
  ctx_.ingestor->submit(std::move(request), [respond, metrics = ctx_.metrics](
                                                const store::IngestOutcome* outcome,
                                                const char* error) {
    if (!outcome) {
      log::warn("events not accepted", {{"error", error}});
      return respond(to_response(errors::service_unavailable()));
    }
    if (!outcome->ok)
      return respond(to_response(errors::device_not_found(outcome->missing_device)));
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

std::optional<http::Response> Router::dispatch(const http::Request& req,
                                               const http::Responder& respond) {
  if (req.method == "OPTIONS") return http::Response{204, "", ""};
  auto target = parse_target(req.target);
  if (!target) throw errors::route_not_found();
  const auto& seg = target->segments;
  const std::string& m = req.method;

  if (seg.size() == 1 && seg[0] == "healthz") {
    if (m != "GET" && m != "HEAD") throw errors::method_not_allowed();
    return text_response(200, R"({"status":"ok"})");
  }
  if (seg.size() == 1 && seg[0] == "metrics") {
    if (m != "GET") throw errors::method_not_allowed();
    if (!ctx_.metrics) throw errors::route_not_found();
    const store::QueueStats queue = ctx_.store.queue_stats();
    std::optional<double> oldest_age;
    if (queue.oldest_pending_created_at) {
      oldest_age =
          std::chrono::duration<double>(ctx_.clock.now() - *queue.oldest_pending_created_at)
              .count();
    }
    return http::Response{200, ctx_.metrics->render(queue.pending, oldest_age),
                          "text/plain; version=0.0.4; charset=utf-8"};
  }
  if (seg.size() == 1 && seg[0] == "readyz") {
    if (m != "GET" && m != "HEAD") throw errors::method_not_allowed();
    if (!ctx_.store.ping()) throw errors::service_unavailable();
    return text_response(200, R"({"status":"ready"})");
  }
  if (seg.size() < 2 || seg[0] != "v2") throw errors::route_not_found();

  // Authentication comes first, then the body limit (contract section 3).
  auto authenticate_request = [&] {
    // The body limit was judged on the head, before the body was read.
    return authenticate(req, ctx_.store, tokens_);
  };

  if (seg[1] == "webhooks") {
    if (seg.size() == 2) {
      if (m != "GET" && m != "POST") throw errors::method_not_allowed();
      const auto caller = authenticate_request();
      return m == "GET" ? webhook_routes::list(ctx_, caller, target->query)
                        : webhook_routes::create(ctx_, caller, req);
    }
    if (seg.size() == 3) {
      if (m != "GET" && m != "PUT" && m != "DELETE") throw errors::method_not_allowed();
      const auto caller = authenticate_request();
      const int64_t id = id_or(seg[2], errors::webhook_not_found());
      if (m == "GET") return webhook_routes::get(ctx_, caller, id);
      if (m == "PUT") return webhook_routes::update(ctx_, caller, req, id);
      return webhook_routes::remove(ctx_, caller, id);
    }
    const std::string& sub = seg[3];
    if (seg.size() == 4 && sub == "deliveries") {
      if (m != "GET") throw errors::method_not_allowed();
      const auto caller = authenticate_request();
      return delivery_routes::list(ctx_, caller, id_or(seg[2], errors::webhook_not_found()),
                                   target->query);
    }
    if (seg.size() == 4 && (sub == "rotate-secret" || sub == "test")) {
      if (m != "POST") throw errors::method_not_allowed();
      const auto caller = authenticate_request();
      const int64_t webhook = id_or(seg[2], errors::webhook_not_found());
      return sub == "test" ? webhook_routes::send_test(ctx_, caller, webhook)
                           : webhook_routes::rotate_secret(ctx_, caller, webhook);
    }
    if (seg.size() == 4 && sub == "recover") {
      if (m != "POST") throw errors::method_not_allowed();
      const auto caller = authenticate_request();
      return delivery_routes::recover(ctx_, caller, req,
                                      id_or(seg[2], errors::webhook_not_found()));
    }
    if ((seg.size() == 5 || seg.size() == 6) && sub == "deliveries") {
      const bool retry = seg.size() == 6;
      if (retry && seg[5] != "retry") throw errors::route_not_found();
      if (m != (retry ? "POST" : "GET")) throw errors::method_not_allowed();
      const auto caller = authenticate_request();
      const int64_t webhook = id_or(seg[2], errors::webhook_not_found());
      const int64_t delivery = id_or(seg[4], errors::delivery_not_found());
      return retry ? delivery_routes::retry(ctx_, caller, webhook, delivery)
                   : delivery_routes::get(ctx_, caller, webhook, delivery);
    }
    throw errors::route_not_found();
  }

  if (seg[1] == "platform" && seg.size() >= 3) {
    const std::string& kind = seg[2];
    auto platform_caller = [&] {
      const auto caller = authenticate_request();
      if (caller.role != domain::Role::kPlatform) throw errors::insufficient_rights();
    };
    if (kind == "events" && seg.size() == 3) {
      if (m != "POST") throw errors::method_not_allowed();
      platform_caller();
      ingest_events(req, respond);
      return std::nullopt;
    }
    if (kind == "tokens" && seg.size() == 3) {
      if (m != "POST") throw errors::method_not_allowed();
      platform_caller();
      return platform_routes::create_token(ctx_, req);
    }
    if (seg.size() != 4) throw errors::route_not_found();
    if (kind == "organizations") {
      if (m != "PUT") throw errors::method_not_allowed();
      platform_caller();
      return platform_routes::put_organization(ctx_, req, id_or(seg[3], errors::route_not_found()));
    }
    if (kind == "devices" || kind == "device-groups") {
      if (m != "PUT" && m != "DELETE") throw errors::method_not_allowed();
      platform_caller();
      const bool device = kind == "devices";
      const int64_t id =
          id_or(seg[3], device ? errors::device_not_found(0) : errors::device_group_not_found(0));
      if (device) {
        return m == "PUT" ? platform_routes::put_device(ctx_, req, id)
                          : platform_routes::delete_device(ctx_, id);
      }
      return m == "PUT" ? platform_routes::put_device_group(ctx_, req, id)
                        : platform_routes::delete_device_group(ctx_, id);
    }
    if (kind == "tokens") {
      if (m != "DELETE") throw errors::method_not_allowed();
      platform_caller();
      auto response = platform_routes::revoke_token(ctx_, id_or(seg[3], errors::token_not_found()));
      tokens_.clear();  // the revoked token must not outlive its cache entry
      return response;
    }
  }
  throw errors::route_not_found();
}

}  // namespace hookd::api
