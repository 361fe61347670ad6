#include "delivery/request_builder.hpp"

#include "domain/event.hpp"
#include "domain/topic.hpp"
#include "security/signature.hpp"

namespace hookd::delivery {

RequestContent build_request(const store::ClaimedDelivery& d, int64_t timestamp,
                             std::string_view secret_header) {
  RequestContent out;
  out.body = domain::delivery_body(d.event, d.webhook_id);
  out.headers = {
      "content-type: application/json",
      "webhook-id: " + d.event.id,
      "webhook-timestamp: " + std::to_string(timestamp),
      "webhook-signature: " +
          security::signature_header(d.hmac_secrets, d.event.id, timestamp, out.body),
      "x-webhook-topic: " + std::string(domain::topic_name(d.event.topic)),
      "x-webhook-attempt: " + std::to_string(d.attempts_made + 1),
  };
  if (d.secret_http) out.headers.push_back(std::string(secret_header) + ": " + *d.secret_http);
  return out;
}

}  // namespace hookd::delivery
