#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/language.hpp"
#include "api/messages.hpp"
#include "http/message.hpp"

namespace hookd::api {

// A client-visible error. Routes throw it; one place (to_response) turns it into the status
// and the seed's error body, its message in the request's language. `code` never changes
// with the language.
struct ApiError {
  int status;
  std::string code;
  Message message;
};

http::Response to_response(const ApiError& error, Language language = Language::kEn);

// The answers the HTTP server writes on its own (framing errors, overload), with the same
// error body as every other answer. Always English: they are written before or without a
// request the router has read, so there is no `language` to trust.
http::Response server_error_response(http::ServerError error);

namespace errors {
ApiError invalid_token();
ApiError insufficient_rights();
ApiError payload_too_large(size_t limit);
// `detail` says what is wrong: a message of the catalog (api/message_catalog.hpp), such as
// Message(message_key("body.required")).with("field", "topics").
ApiError invalid_body(Message detail);
ApiError invalid_query(Message detail);
ApiError invalid_url(Message detail);
ApiError unsupported_protocol();
ApiError forbidden_destination();
ApiError unsupported_topic(std::string_view topic);
ApiError device_not_found(int64_t id);
ApiError device_group_not_found(int64_t id);
ApiError organization_not_found(int64_t id);
ApiError webhook_not_found();
ApiError delivery_not_found();
ApiError token_not_found();
ApiError route_not_found();
ApiError method_not_allowed();
ApiError service_unavailable();
ApiError webhook_limit_exceeded(int64_t limit);
ApiError too_many_requests();  // 429 TooManyRequests: failed authentications; add Retry-After
ApiError server_busy();        // 503 ServiceUnavailable: the handler queue is full; add Retry-After
ApiError internal_error();     // 500 InternalServerError: a handler failed unexpectedly
// 400 InvalidIdempotencyKey: empty, over 255 characters, or not visible ASCII.
ApiError invalid_idempotency_key();
// 409 IdempotencyKeyInUse: a request with this key is still running.
ApiError idempotency_key_in_use();
// 422 IdempotencyKeyReused: the key was used for another request.
ApiError idempotency_key_reused();
}  // namespace errors

}  // namespace hookd::api
