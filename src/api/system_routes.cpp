#include "api/system_routes.hpp"

#include "api/errors.hpp"
#include "api/openapi_document.hpp"
#include "api/readiness_probe.hpp"
#include "observability/metrics.hpp"
#include "store/store.hpp"

namespace hookd::api::system_routes {
namespace {

// Alive: answered at admission from memory, whatever the store is doing.
http::Response health(const RouteCall&) { return http::Response{200, R"({"status":"ok"})"}; }

// The store's answer, bounded by the probe's timeout; neither an I/O thread nor the handler
// pool waits for it.
void readiness(ReadinessProbe& probe, Language language, http::Responder respond) {
  probe.check([respond = std::move(respond), language](bool ready) {
    respond(ready ? http::Response{200, R"({"status":"ready"})"}
                  : to_response(errors::service_unavailable(), language));
  });
}

http::Response metrics(const RouteCall& call) {
  ApiContext& ctx = call.ctx;
  if (!ctx.metrics) throw errors::route_not_found();
  const store::QueueStats queue = ctx.store.queue_stats();
  std::optional<double> oldest_age;
  if (queue.oldest_pending_created_at) {
    oldest_age =
        std::chrono::duration<double>(ctx.clock.now() - *queue.oldest_pending_created_at).count();
  }
  return http::Response{200, ctx.metrics->render(queue.pending, oldest_age),
                        "text/plain; version=0.0.4; charset=utf-8"};
}

// The API's own description, embedded at build time, answered from memory.
http::Response openapi_json(const RouteCall&) {
  return http::Response{200, std::string(openapi_document::json()), "application/json"};
}
http::Response openapi_yaml(const RouteCall&) {
  return http::Response{200, std::string(openapi_document::yaml()), "application/yaml"};
}

}  // namespace

void register_routes(RouteTable& table, ReadinessProbe& probe) {
  for (const char* method : {"GET", "HEAD"}) {
    table.add(Route{method, "/healthz", Roles::public_route(), 0, Runs::kOnHead, health, {}});
    table.add(Route{method,
                    "/readyz",
                    Roles::public_route(),
                    0,
                    Runs::kInline,
                    {},
                    [&probe](const RouteCall& c, http::Responder respond) {
                      readiness(probe, c.language, std::move(respond));
                    }});
  }
  table.add(Route{"GET", "/metrics", Roles::public_route(), 0, Runs::kPool, metrics, {}});
  table.add(
      Route{"GET", "/openapi.json", Roles::public_route(), 0, Runs::kOnHead, openapi_json, {}});
  table.add(
      Route{"GET", "/openapi.yaml", Roles::public_route(), 0, Runs::kOnHead, openapi_yaml, {}});
}

}  // namespace hookd::api::system_routes
