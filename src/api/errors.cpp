#include "api/errors.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace hookd::api {

http::Response to_response(const ApiError& error) {
  boost::json::object body;
  body["message"] = error.message;
  body["code"] = error.code;
  body["errorMessage"] = error.message;
  body["errorCode"] = error.code;
  return http::Response{error.status, boost::json::serialize(body)};
}

namespace errors {
namespace {
ApiError make(int status, std::string_view code, std::string message) {
  return ApiError{status, std::string(code), std::move(message)};
}
}  // namespace

ApiError invalid_token() {
  return make(401, "InvalidAuthenticationToken", "Invalid authentication token");
}
ApiError insufficient_rights() { return make(403, "InsufficientRights", "Insufficient rights"); }
ApiError payload_too_large(size_t limit) {
  return make(
      413, "PayloadTooLarge",
      "Payload too large: the request body is limited to " + std::to_string(limit) + " bytes");
}
ApiError invalid_body(std::string_view detail) {
  return make(400, "InvalidRequestBody", "Invalid request body: " + std::string(detail));
}
ApiError invalid_query(std::string_view detail) {
  return make(400, "InvalidQueryParameter", "Invalid query parameter: " + std::string(detail));
}
ApiError invalid_url(std::string_view detail) {
  return make(400, "WebhookInvalidUrl", "Invalid webhook URL: " + std::string(detail));
}
ApiError unsupported_protocol() {
  return make(400, "WebhookUnsupportedProtocol",
              "Unsupported protocol: We only support https for now.");
}
ApiError forbidden_destination() {
  return make(400, "WebhookForbiddenDestination",
              "Forbidden destination: webhookUrl points to a loopback, private or reserved "
              "address");
}
ApiError unsupported_topic(std::string_view topic) {
  return make(400, "UnsupportedTopic", "Unsupported topic: " + std::string(topic));
}
ApiError device_not_found(int64_t id) {
  return make(404, "DeviceNotFound", "Device not found: " + std::to_string(id));
}
ApiError device_group_not_found(int64_t id) {
  return make(404, "DeviceGroupNotFound", "Device group not found: " + std::to_string(id));
}
ApiError organization_not_found(int64_t id) {
  return make(404, "OrganizationNotFound", "Organization not found: " + std::to_string(id));
}
ApiError webhook_not_found() { return make(404, "WebhookNotFound", "Webhook not found"); }
ApiError delivery_not_found() { return make(404, "DeliveryNotFound", "Delivery not found"); }
ApiError token_not_found() { return make(404, "TokenNotFound", "Token not found"); }
ApiError route_not_found() { return make(404, "NotFound", "Not found"); }
ApiError method_not_allowed() { return make(405, "MethodNotAllowed", "Method not allowed"); }
ApiError service_unavailable() {
  return make(503, "ServiceUnavailable", "Service unavailable: the database cannot be reached");
}
ApiError webhook_limit_exceeded(int64_t limit) {
  return make(409, "WebhookLimitExceeded",
              "Webhook limit exceeded: an organization holds at most " + std::to_string(limit) +
                  " webhooks");
}
ApiError invalid_idempotency_key() {
  return make(400, "InvalidIdempotencyKey",
              "Invalid Idempotency-Key: 1 to 255 visible ASCII characters, sent once");
}
ApiError idempotency_key_in_use() {
  return make(409, "IdempotencyKeyInUse",
              "Idempotency key in use: a request with this key is still running, retry later");
}
ApiError idempotency_key_reused() {
  return make(422, "IdempotencyKeyReused",
              "Idempotency key reused: it was used for another request (method, path or body)");
}
ApiError too_many_requests() {
  return make(429, "TooManyRequests",
              "Too many requests: too many failed authentications from this address");
}
ApiError server_busy() {
  return make(503, "ServiceUnavailable",
              "Service unavailable: too many requests in progress, retry later");
}
ApiError internal_error() { return make(500, "InternalServerError", "Internal server error"); }

}  // namespace errors

http::Response server_error_response(http::ServerError error) {
  using http::ServerError;
  auto answer = [](int status, std::string_view code, std::string_view message) {
    return to_response(ApiError{status, std::string(code), std::string(message)});
  };
  switch (error) {
    case ServerError::kBadRequest:
      return answer(400, "BadRequest", "Bad request");
    case ServerError::kUriTooLong:
      return answer(414, "UriTooLong", "URI too long");
    case ServerError::kHeaderTooLarge:
      return answer(431, "RequestHeaderFieldsTooLarge", "Request header fields too large");
    case ServerError::kNotImplemented:
      return answer(501, "NotImplemented", "Not implemented");
    case ServerError::kPayloadTooLarge:
      return answer(413, "PayloadTooLarge", "Payload too large");
    case ServerError::kServiceUnavailable: {
      // Overload passes: the client is told to come back, not to give up.
      http::Response r = answer(503, "ServiceUnavailable", "Service unavailable");
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    case ServerError::kInternal:
      break;
  }
  return to_response(errors::internal_error());
}

}  // namespace hookd::api
