#pragma once

#include "api/context.hpp"
#include "http/message.hpp"

namespace hookd::api {

// Maps a request to its route and every failure to the seed's error body. The only place
// that knows the URL layout of the API.
class Router {
 public:
  explicit Router(ApiContext ctx) : ctx_(ctx) {}
  http::Response handle(const http::Request& request);

 private:
  http::Response dispatch(const http::Request& request);
  ApiContext ctx_;
};

}  // namespace hookd::api
