#include "api/router.hpp"

#include <boost/url/parse.hpp>
#include <limits>
#include <stdexcept>
#include <variant>

#include "api/auth.hpp"
#include "api/delivery_routes.hpp"
#include "api/errors.hpp"
#include "api/event_input.hpp"
#include "api/idempotency.hpp"
#include "api/language.hpp"
#include "api/message_catalog.hpp"
#include "api/platform_routes.hpp"
#include "api/portal_routes.hpp"
#include "api/readiness_probe.hpp"
#include "api/system_routes.hpp"
#include "api/webhook_routes.hpp"
#include "common/log.hpp"
#include "common/work_queue.hpp"
#include "observability/metrics.hpp"
#include "security/client_address.hpp"
#include "security/secrets.hpp"
#include "store/store.hpp"

namespace hookd::api {
namespace {

// The query parameter every route takes: the language of error messages.
constexpr std::string_view kLanguageParameter = "language";

struct Target {
  std::vector<std::string> segments;
  Query query;
  std::optional<std::string> repeated;  // a query parameter named twice
  bool language_repeated = false;
};

std::optional<Target> parse_target(std::string_view text) {
  auto parsed = boost::urls::parse_origin_form(text);
  if (!parsed) return std::nullopt;
  Target t;
  for (auto segment : parsed->segments()) t.segments.push_back(segment);
  // "/v2/webhooks/" names the same resource as "/v2/webhooks".
  if (!t.segments.empty() && t.segments.back().empty()) t.segments.pop_back();
  for (auto param : parsed->params()) {
    // A gateway that reads the first of two values must not see another request than ours.
    if (t.query.emplace(param.key, param.value).second) continue;
    if (!t.repeated) t.repeated = param.key;
    if (param.key == kLanguageParameter) t.language_repeated = true;
  }
  return t;
}

// ?language= when given once, else Accept-Language (api/language.hpp).
Language language_of(const std::optional<Target>& target, const http::RequestHead& head) {
  std::optional<std::string_view> parameter;
  if (target && !target->language_repeated) {
    if (auto it = target->query.find(kLanguageParameter); it != target->query.end()) {
      parameter = it->second;
    }
  }
  return choose_language(parameter, head.accept_language);
}

http::Response with_retry_after(http::Response r, std::chrono::seconds after) {
  r.headers.emplace_back("Retry-After", std::to_string(after.count()));
  return r;
}

constexpr std::chrono::seconds kBusyRetryAfter{1};

bool under(std::string_view pattern, std::string_view prefix) {
  return pattern == prefix || (pattern.starts_with(prefix) && pattern[prefix.size()] == '/');
}

// A portal session holds its organization's webhooks and the portal, nothing else of the API.
bool open_to_portal_sessions(const Route& route) {
  return under(route.pattern, "/v2/webhooks") || under(route.pattern, "/portal");
}

}  // namespace

// What admission decided for one request, carried to its handler.
struct Router::Call {
  const Route* route;
  std::optional<domain::Principal> caller;
  std::vector<std::string> params;
  Query query;
  Language language;
  RequestLog log;
  std::optional<std::string> idempotency_key_hash;  // an idempotent route's key, as stored
};

Router::Router(ApiContext ctx) : Router(std::move(ctx), RouteTable{}) {
  system_routes::register_routes(table_, *probe_);
  webhook_routes::register_routes(table_, ctx_);
  delivery_routes::register_routes(table_, ctx_);
  platform_routes::register_routes(table_, ctx_);
  portal_routes::register_routes(table_);
}

Router::Router(ApiContext ctx, RouteTable routes)
    : ctx_(std::move(ctx)),
      throttle_(ctx_.auth_failures_per_minute),
      pool_(std::make_unique<WorkQueue>(ctx_.handler_threads, ctx_.handler_queue)),
      probe_(std::make_unique<ReadinessProbe>([&store = ctx_.store] { return store.ping(); },
                                              ctx_.readiness_timeout)),
      table_(std::move(routes)),
      request_id_prefix_("req_" + security::random_alphanumeric(8) + "_") {
  for (const auto& text : ctx_.trusted_proxies) {
    auto cidr = security::Cidr::parse(text);
    if (!cidr) throw std::invalid_argument("trusted_proxies: not a CIDR: " + text);
    trusted_proxies_.push_back(*cidr);
  }
}

void Router::set_portal_base_url(std::string url) { ctx_.portal_base_url = std::move(url); }

Router::~Router() { stop(); }

void Router::stop() {
  pool_->stop();
  probe_->stop();
}

// Every answer is counted, and logged with its request id at debug level (an access log);
// answers of 500 and above are logged at error level whatever the level.
void Router::finish(const RequestLog& entry, const http::Response& r) {
  if (ctx_.metrics) ctx_.metrics->http_response(r.status);
  const auto level = r.status >= 500 ? log::Level::kError : log::Level::kDebug;
  if (!log::enabled(level)) return;
  const std::string id = request_id(entry.number);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - entry.started)
                          .count();
  log::write(level, "request",
             {{"request_id", std::string_view(id)},
              {"method", std::string_view(entry.method)},
              {"path", std::string_view(entry.path)},
              {"status", r.status},
              {"duration_us", static_cast<long long>(micros)}});
}

http::Admission Router::admit(const http::RequestHead& head) {
  RequestLog entry{next_request_.fetch_add(1, std::memory_order_relaxed), head.method,
                   head.target.substr(0, head.target.find('?')), std::chrono::steady_clock::now()};
  auto answer = [&](http::Response r) {
    finish(entry, r);
    return http::Admission{std::move(r), 0, nullptr};
  };
  if (head.method == "OPTIONS") return answer(http::Response{204, "", ""});
  auto target = parse_target(head.target);
  const Language language = language_of(target, head);
  try {
    if (!target) throw errors::route_not_found();
    auto match = table_.find(head.method, target->segments);
    if (!match.route) {
      throw match.path_known ? errors::method_not_allowed() : errors::route_not_found();
    }
    const Route& route = *match.route;

    std::optional<domain::Principal> caller;
    if (route.roles.needs_token()) {
      try {
        caller = authenticate(head, ctx_.store, tokens_, ctx_.clock);
      } catch (const ApiError&) {
        // A valid token is never throttled: only a request that failed is looked at.
        const std::string address =
            security::client_address(head.client_address, head.forwarded_for, trusted_proxies_);
        const auto now = security::AuthThrottle::Clock::now();
        if (auto wait = throttle_.throttled(address, now)) {
          return answer(
              with_retry_after(to_response(errors::too_many_requests(), language), *wait));
        }
        throttle_.record_failure(address, now);
        throw;
      }
      if (!route.roles.allows(caller->role)) throw errors::insufficient_rights();
      if (caller->portal_session && !open_to_portal_sessions(route)) {
        throw errors::insufficient_rights();
      }
    }

    if (head.has_body() && (route.body_limit == 0 ||
                            (head.content_length && *head.content_length > route.body_limit))) {
      throw errors::payload_too_large(route.body_limit);
    }
    if (target->repeated) {
      throw errors::invalid_query(
          Message(message_key("query.repeated")).with("name", *target->repeated));
    }
    std::optional<std::string> key_hash;
    if (route.idempotent && caller && head.idempotency_key) {
      if (!idempotency::is_valid_key(*head.idempotency_key)) {
        throw errors::invalid_idempotency_key();
      }
      key_hash = idempotency::key_hash(idempotency::scope_of(*caller), *head.idempotency_key);
    }

    if (route.runs == Runs::kOnHead) {
      const http::Request none;
      return answer(route.handler(RouteCall{ctx_, tokens_, none, caller ? &*caller : nullptr,
                                            match.params, target->query, language}));
    }
    auto call = std::make_shared<Call>(Call{&route, std::move(caller), std::move(match.params),
                                            std::move(target->query), language, std::move(entry),
                                            std::move(key_hash)});
    return http::Admission{std::nullopt, route.body_limit, handler_for(std::move(call))};
  } catch (...) {
    return answer(failure_response(entry.number, language));
  }
}

// Inside a catch: the answer to what was thrown. Every path that runs route code ends here.
http::Response Router::failure_response(uint64_t number, Language language) const {
  try {
    throw;
  } catch (const ApiError& e) {
    return to_response(e, language);
  } catch (const store::StoreError& e) {
    log::error("database error",
               {{"request_id", std::string_view(request_id(number))}, {"error", e.what()}});
    return to_response(errors::service_unavailable(), language);
  } catch (const std::exception& e) {
    log::error("unhandled error in request handler",
               {{"request_id", std::string_view(request_id(number))}, {"error", e.what()}});
    return to_response(errors::internal_error(), language);
  }
}

std::string Router::request_id(uint64_t number) const {
  return request_id_prefix_ + std::to_string(number);
}

http::Handler Router::handler_for(std::shared_ptr<Call> call) {
  return [this, call](http::Request request, http::Responder respond) {
    http::Responder done = [this, call, respond = std::move(respond)](http::Response r) {
      finish(call->log, r);
      respond(std::move(r));
    };
    const Route& route = *call->route;
    // The server reads no more than admitted; this holds for any server.
    if (request.body.size() > route.body_limit) {
      return done(to_response(errors::payload_too_large(route.body_limit), call->language));
    }
    if (call->idempotency_key_hash) return run_idempotent(call, std::move(request), done);
    if (route.runs == Runs::kInline) {
      try {
        route.async_handler(
            RouteCall{ctx_, tokens_, request, call->caller ? &*call->caller : nullptr, call->params,
                      call->query, call->language},
            done);
      } catch (...) {
        done(failure_response(call->log.number, call->language));
      }
      return;
    }
    auto shared_request = std::make_shared<http::Request>(std::move(request));
    const bool queued =
        pool_->try_post([this, call, shared_request, done] { done(run(*call, *shared_request)); });
    if (!queued) {
      done(with_retry_after(to_response(errors::server_busy(), call->language), kBusyRetryAfter));
    }
  };
}

// The key is judged on the pool, with the body in, before the handler acts; the handler's answer
// is kept (or the key freed) before it is sent, so that a retry after the answer replays it.
void Router::run_idempotent(std::shared_ptr<Call> call, http::Request request,
                            http::Responder done) {
  auto shared_request = std::make_shared<http::Request>(std::move(request));
  const bool queued = pool_->try_post([this, call, shared_request, done] {
    const Route& route = *call->route;
    std::variant<http::Response, idempotency::Claimed> begun;
    try {
      begun = idempotency::begin(
          ctx_.store, ctx_.clock, *call->idempotency_key_hash,
          idempotency::fingerprint(route.method, route.pattern, call->params, shared_request->body),
          call->language);
    } catch (...) {
      return done(failure_response(call->log.number, call->language));
    }
    if (auto* answer = std::get_if<http::Response>(&begun)) return done(std::move(*answer));
    auto finish = [this, call, claimed = std::get<idempotency::Claimed>(begun),
                   done](http::Response r) {
      try {
        idempotency::finish(ctx_.store, claimed, r);
      } catch (const std::exception& e) {
        // The request acted: its answer goes out; the key is taken over after its bound.
        log::error(
            "idempotency key not kept",
            {{"request_id", std::string_view(request_id(call->log.number))}, {"error", e.what()}});
      }
      done(std::move(r));
    };
    if (route.runs != Runs::kInline) return finish(run(*call, *shared_request));
    // Inline handlers answer on another thread (the ingestor's), which must not wait on the
    // store: the answer is kept from the pool.
    http::Responder keep = [this, finish](http::Response r) {
      auto answer = std::make_shared<http::Response>(std::move(r));
      if (!pool_->try_post([finish, answer] { finish(std::move(*answer)); })) {
        finish(std::move(*answer));
      }
    };
    try {
      route.async_handler(
          RouteCall{ctx_, tokens_, *shared_request, call->caller ? &*call->caller : nullptr,
                    call->params, call->query, call->language},
          keep);
    } catch (...) {
      keep(failure_response(call->log.number, call->language));
    }
  });
  if (!queued) {
    done(with_retry_after(to_response(errors::server_busy(), call->language), kBusyRetryAfter));
  }
}

// On a pool thread: every failure becomes an answer here, none escapes.
http::Response Router::run(const Call& call, const http::Request& request) {
  try {
    return call.route->handler(RouteCall{ctx_, tokens_, request,
                                         call.caller ? &*call.caller : nullptr, call.params,
                                         call.query, call.language});
  } catch (...) {
    return failure_response(call.log.number, call.language);
  }
}

}  // namespace hookd::api
