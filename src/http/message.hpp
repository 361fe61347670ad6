#pragma once

#include <cstdint>
#include <functional>
#include <optional>
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
  std::string client_address;  // the peer's IP address, as text
  std::string forwarded_for;   // X-Forwarded-For as sent; empty when absent
  std::string body;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";  // empty: no Content-Type header
  std::vector<std::pair<std::string, std::string>> headers;
  // The portal's pages alone: a Content-Security-Policy of their own instead of the seed's
  // (empty: the seed's), and no X-Frame-Options when they may be framed.
  std::string content_security_policy;
  bool frame_options = true;
};

// Completes a request: call it exactly once, from any thread, now or later (a request that
// waits for a group commit answers later without holding a server thread).
using Responder = std::function<void(Response)>;
using Handler = std::function<void(Request, Responder)>;

// What the server knows once the request line and headers are in, before any body byte is
// read and before `100 Continue` is sent. Framing has been checked already (RFC 9112).
struct RequestHead {
  std::string method;
  std::string target;
  std::string authorization;
  bool has_authorization = false;
  std::string client_address;
  std::string forwarded_for;
  std::string accept_language;  // Accept-Language as sent (fields joined by ", "); empty: absent
  std::optional<uint64_t> content_length;  // declared length, when the body is not chunked
  bool chunked = false;                    // Transfer-Encoding: chunked

  // Idempotency-Key as sent; repeated fields are joined with ", " (RFC 9110, 5.3).
  std::optional<std::string> idempotency_key;
  bool has_body() const { return chunked || (content_length && *content_length > 0); }
};

// The API's verdict on a head. Either `answer` is set: the server writes it and never reads
// the body (an unknown route, a bad token, a body over the limit, /healthz). Or the server
// reads a body of at most `body_limit` bytes (it answers 413 itself when a chunked body
// exceeds it) and then calls `handler` with the whole request; the handler is the route
// already chosen, with what the head decided (the caller) bound into it.
struct Admission {
  std::optional<Response> answer;
  size_t body_limit = 0;
  Handler handler;
};
using Admitter = std::function<Admission(const RequestHead&)>;

// Answers the server writes on its own, before or without the API: framing errors and
// overload. The API supplies their bodies (one error mapper for the whole process).
enum class ServerError {
  kBadRequest,          // 400 BadRequest: malformed request line or header, bad framing
  kUriTooLong,          // 414 UriTooLong
  kHeaderTooLarge,      // 431 RequestHeaderFieldsTooLarge
  kNotImplemented,      // 501 NotImplemented: a transfer coding other than chunked
  kPayloadTooLarge,     // 413 PayloadTooLarge: a chunked body over the admitted limit
  kServiceUnavailable,  // 503 ServiceUnavailable (+ Retry-After): over a budget or cap
  kInternal,            // 500 InternalServerError: a handler threw
};
using ErrorResponder = std::function<Response(ServerError)>;

}  // namespace hookd::http
