#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <string_view>

#include "api/context.hpp"
#include "http/message.hpp"
#include "security/token_cache.hpp"

namespace hookd::api {

// Maps a request to its route and every failure to the seed's error body. The only place
// that knows the URL layout of the API.
class Router {
 public:
  explicit Router(ApiContext ctx);
  // Answers through `respond`; every route but event ingestion answers before returning.
  void handle(http::Request request, http::Responder respond);

  // The largest body a request to `target` may have; the server reads no more.
  static size_t body_limit(std::string_view target, size_t default_limit);

 private:
  // The response, or nothing when `respond` will be called later.
  std::optional<http::Response> dispatch(const http::Request& request,
                                         const http::Responder& respond);
  void ingest_events(const http::Request& request, const http::Responder& respond);
  ApiContext ctx_;
  security::TokenCache tokens_;
  const std::string request_id_prefix_;  // random per process, so ids differ across processes
  std::atomic<uint64_t> next_request_{1};
};

}  // namespace hookd::api
