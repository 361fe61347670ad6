#include "api/errors.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "api/message_catalog.hpp"

namespace hookd::api {

http::Response to_response(const ApiError& error, Language language) {
  const std::string message = error.message.render(language);
  boost::json::object body;
  body["message"] = message;
  body["code"] = error.code;
  body["errorMessage"] = message;
  body["errorCode"] = error.code;
  return http::Response{error.status, boost::json::serialize(body)};
}

namespace errors {
namespace {
ApiError make(int status, std::string_view code, Message message) {
  return ApiError{status, std::string(code), std::move(message)};
}
}  // namespace

ApiError invalid_token() {
  return make(401, "InvalidAuthenticationToken",
              Message(message_key("InvalidAuthenticationToken")));
}
ApiError insufficient_rights() {
  return make(403, "InsufficientRights", Message(message_key("InsufficientRights")));
}
ApiError payload_too_large(size_t limit) {
  return make(413, "PayloadTooLarge",
              Message(message_key("PayloadTooLarge")).with("limit", std::to_string(limit)));
}
ApiError invalid_body(Message detail) {
  return make(400, "InvalidRequestBody",
              Message(message_key("InvalidRequestBody")).with("detail", std::move(detail)));
}
ApiError invalid_query(Message detail) {
  return make(400, "InvalidQueryParameter",
              Message(message_key("InvalidQueryParameter")).with("detail", std::move(detail)));
}
ApiError invalid_url(Message detail) {
  return make(400, "WebhookInvalidUrl",
              Message(message_key("WebhookInvalidUrl")).with("detail", std::move(detail)));
}
ApiError unsupported_protocol() {
  return make(400, "WebhookUnsupportedProtocol",
              Message(message_key("WebhookUnsupportedProtocol")));
}
ApiError forbidden_destination() {
  return make(400, "WebhookForbiddenDestination",
              Message(message_key("WebhookForbiddenDestination")));
}
ApiError unsupported_topic(std::string_view topic) {
  return make(400, "UnsupportedTopic",
              Message(message_key("UnsupportedTopic")).with("topic", topic));
}
ApiError device_not_found(int64_t id) {
  return make(404, "DeviceNotFound",
              Message(message_key("DeviceNotFound")).with("id", std::to_string(id)));
}
ApiError device_group_not_found(int64_t id) {
  return make(404, "DeviceGroupNotFound",
              Message(message_key("DeviceGroupNotFound")).with("id", std::to_string(id)));
}
ApiError organization_not_found(int64_t id) {
  return make(404, "OrganizationNotFound",
              Message(message_key("OrganizationNotFound")).with("id", std::to_string(id)));
}
ApiError webhook_not_found() {
  return make(404, "WebhookNotFound", Message(message_key("WebhookNotFound")));
}
ApiError delivery_not_found() {
  return make(404, "DeliveryNotFound", Message(message_key("DeliveryNotFound")));
}
ApiError token_not_found() {
  return make(404, "TokenNotFound", Message(message_key("TokenNotFound")));
}
ApiError route_not_found() { return make(404, "NotFound", Message(message_key("NotFound"))); }
ApiError method_not_allowed() {
  return make(405, "MethodNotAllowed", Message(message_key("MethodNotAllowed")));
}
ApiError service_unavailable() {
  return make(503, "ServiceUnavailable", Message(message_key("DatabaseUnavailable")));
}
ApiError webhook_limit_exceeded(int64_t limit) {
  return make(409, "WebhookLimitExceeded",
              Message(message_key("WebhookLimitExceeded")).with("limit", std::to_string(limit)));
}
ApiError invalid_idempotency_key() {
  return make(400, "InvalidIdempotencyKey", Message(message_key("InvalidIdempotencyKey")));
}
ApiError idempotency_key_in_use() {
  return make(409, "IdempotencyKeyInUse", Message(message_key("IdempotencyKeyInUse")));
}
ApiError idempotency_key_reused() {
  return make(422, "IdempotencyKeyReused", Message(message_key("IdempotencyKeyReused")));
}
ApiError too_many_requests() {
  return make(429, "TooManyRequests", Message(message_key("TooManyRequests")));
}
ApiError server_busy() {
  return make(503, "ServiceUnavailable", Message(message_key("ServerBusy")));
}
ApiError internal_error() {
  return make(500, "InternalServerError", Message(message_key("InternalServerError")));
}

}  // namespace errors

http::Response server_error_response(http::ServerError error) {
  using http::ServerError;
  auto answer = [](int status, std::string_view code, MessageKey message) {
    return to_response(ApiError{status, std::string(code), Message(message)});
  };
  switch (error) {
    case ServerError::kBadRequest:
      return answer(400, "BadRequest", message_key("BadRequest"));
    case ServerError::kUriTooLong:
      return answer(414, "UriTooLong", message_key("UriTooLong"));
    case ServerError::kHeaderTooLarge:
      return answer(431, "RequestHeaderFieldsTooLarge", message_key("RequestHeaderFieldsTooLarge"));
    case ServerError::kNotImplemented:
      return answer(501, "NotImplemented", message_key("NotImplemented"));
    case ServerError::kPayloadTooLarge:
      return answer(413, "PayloadTooLarge", message_key("PayloadTooLarge.plain"));
    case ServerError::kServiceUnavailable: {
      // Overload passes: the client is told to come back, not to give up.
      http::Response r = answer(503, "ServiceUnavailable", message_key("ServiceUnavailable.plain"));
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    case ServerError::kInternal:
      break;
  }
  return to_response(errors::internal_error());
}

}  // namespace hookd::api
