#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookd::http {

// A request as the API sees it: plain data, no networking types, so that routes and their
// tests never include Beast.
struct Request {
  std::string method;  // upper case, as sent
  std::string target;  // path and query, as sent
  std::string authorization;
  bool has_authorization = false;
  std::string body;
  // The body was over the server's limit and was not read; the API decides the answer, so
  // that authentication is still judged first.
  bool body_too_large = false;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";  // empty: no Content-Type header
  std::vector<std::pair<std::string, std::string>> headers;
};

// Completes a request: call it exactly once, from any thread, now or later (a request that
// waits for a group commit answers later without holding a server thread).
using Responder = std::function<void(Response)>;
using Handler = std::function<void(Request, Responder)>;

}  // namespace hookd::http
