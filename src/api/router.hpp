#pragma once

#include "api/context.hpp"
#include "http/message.hpp"

namespace hookd::api {

// Maps a request to its route and every failure to the seed's error body. The only place
// that knows the URL layout of the API.
class Router {
 public:
  explicit Router(ApiContext ctx) : ctx_(ctx) {}
  // Answers through `respond`; every route but event ingestion answers before returning.
  void handle(http::Request request, http::Responder respond);
  http::Response handle(const http::Request& request);

 private:
  http::Response dispatch(const http::Request& request);
  ApiContext ctx_;
};

}  // namespace hookd::api
