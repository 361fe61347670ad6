#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/context.hpp"
#include "api/language.hpp"
#include "api/route_table.hpp"
#include "http/message.hpp"
#include "security/auth_throttle.hpp"
#include "security/ip_address.hpp"
#include "security/token_cache.hpp"

namespace hookd {
class WorkQueue;
}

namespace hookd::api {

class ReadinessProbe;

// Admits requests on their heads against the route table (each *_routes.cpp registers its
// routes) and runs the chosen handler: the only place that knows the URL layout of the API.
class Router {
 public:
  explicit Router(ApiContext ctx);
  // Admits against `routes` alone, not the API's (a test's own table, to judge admission apart
  // from any route of the API).
  Router(ApiContext ctx, RouteTable routes);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Decides from the head alone, in the contract's order: OPTIONS 204; unknown route 404;
  // wrong method 405; token 401 (429 once the address failed too often) and role 403; a body
  // over the route's limit, or any body on a bodyless route, 413; a repeated query parameter
  // 400; a malformed Idempotency-Key on an idempotent route 400. Otherwise the body limit and
  // the handler that answers the whole request.
  http::Admission admit(const http::RequestHead& head);

  // Every route it admits, for the test that holds them against the OpenAPI document.
  const RouteTable& routes() const { return table_; }
  // Where portal-session URLs point; set before the server runs (the port may be known only
  // once it listens).
  void set_portal_base_url(std::string url);

  // Finishes queued handlers and the readiness probe; call after the server has stopped.
  void stop();

 private:
  struct RequestLog {
    uint64_t number;
    std::string method;
    std::string path;
    std::chrono::steady_clock::time_point started;
  };
  struct Call;
  http::Handler handler_for(std::shared_ptr<Call> call);
  http::Response run(const Call& call, const http::Request& request);
  void run_idempotent(std::shared_ptr<Call> call, http::Request request, http::Responder done);
  http::Response failure_response(uint64_t number, Language language) const;
  std::string request_id(uint64_t number) const;
  void finish(const RequestLog& log, const http::Response& response);

  ApiContext ctx_;
  security::TokenCache tokens_;
  security::AuthThrottle throttle_;
  std::vector<security::Cidr> trusted_proxies_;
  std::unique_ptr<WorkQueue> pool_;
  std::unique_ptr<ReadinessProbe> probe_;
  RouteTable table_;
  const std::string request_id_prefix_;  // random per process, so ids differ across processes
  std::atomic<uint64_t> next_request_{1};
};

}  // namespace hookd::api
