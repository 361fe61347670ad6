#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/context.hpp"
#include "api/language.hpp"
#include "domain/tenancy.hpp"
#include "http/message.hpp"

namespace hookd::security {
class TokenCache;
}

namespace hookd::api {

// Who may call a route: nobody needs a token (kPublic), or only these roles.
class Roles {
 public:
  static Roles public_route() { return Roles(0); }
  static Roles any_token() {
    return of({domain::Role::kAdmin, domain::Role::kRead, domain::Role::kPlatform});
  }
  static Roles of(std::initializer_list<domain::Role> roles) {
    unsigned bits = 0;
    for (auto r : roles) bits |= bit(r);
    return Roles(bits);
  }
  bool needs_token() const { return bits_ != 0; }
  bool allows(domain::Role role) const { return (bits_ & bit(role)) != 0; }

 private:
  explicit Roles(unsigned bits) : bits_(bits) {}
  static unsigned bit(domain::Role r) { return 1u << static_cast<unsigned>(r); }
  unsigned bits_;
};

// Where a route's handler runs once its body is in.
enum class Runs {
  kOnHead,  // at admission, from memory alone; bodyless (/healthz)
  kInline,  // on the I/O thread, never waiting on the store; answers later (event ingestion)
  kPool,    // on the handler pool, off the I/O threads: everything that reads or writes the store
};

// What a handler gets: the request, the caller admission found (none on public routes), the
// path's {parameters} in pattern order, the decoded query, and the language its error
// messages are written in (handlers that throw ApiError need not look).
struct RouteCall {
  ApiContext& ctx;
  security::TokenCache& tokens;
  const http::Request& request;
  const domain::Principal* caller;
  const std::vector<std::string>& params;
  const Query& query;
  Language language = Language::kEn;

  const domain::Principal& principal() const { return *caller; }
  const std::string& param(size_t i) const { return params.at(i); }
};

using SyncRouteHandler = std::function<http::Response(const RouteCall&)>;
// Calls the responder exactly once, now or later, from any thread.
using AsyncRouteHandler = std::function<void(const RouteCall&, http::Responder)>;

struct Route {
  std::string method;   // upper case
  std::string pattern;  // "/v2/webhooks/{id}/deliveries/{deliveryId}"
  Roles roles = Roles::public_route();
  size_t body_limit = 0;  // 0: no body allowed
  Runs runs = Runs::kPool;
  SyncRouteHandler handler;         // kOnHead and kPool
  AsyncRouteHandler async_handler;  // kInline
  // A POST that creates or acts: an Idempotency-Key replays its first answer (api/idempotency).
  bool idempotent = false;
};

// `route`, with Idempotency-Key honoured.
inline Route idempotent(Route route) {
  route.idempotent = true;
  return route;
}

// The routes of the API, matched by path segment; "{name}" matches any one segment, and a
// literal segment is preferred to a parameter in the same place.
class RouteTable {
 public:
  // Throws std::logic_error for a pattern and method registered twice.
  void add(Route route);

  struct Match {
    const Route* route = nullptr;  // null: see path_known
    bool path_known = false;       // some route has this path, with another method (405)
    std::vector<std::string> params;
  };
  Match find(std::string_view method, const std::vector<std::string>& segments) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Entry {
    std::vector<std::string> segments;  // "" where the pattern has a {parameter}
    std::vector<bool> is_param;
  };
  std::vector<Route> routes_;
  std::vector<Entry> entries_;  // parallel to routes_
};

}  // namespace hookd::api
