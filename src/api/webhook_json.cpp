#include "api/webhook_json.hpp"

#include <boost/json/array.hpp>

namespace hookd::api {

boost::json::object webhook_to_json(const domain::Webhook& w) {
  boost::json::object o;
  o["id"] = w.id;
  o["organizationId"] = w.organization_id;
  boost::json::array devices(w.device_ids.begin(), w.device_ids.end());
  o["deviceIds"] = std::move(devices);
  boost::json::array groups(w.device_group_ids.begin(), w.device_group_ids.end());
  o["deviceGroupIds"] = std::move(groups);
  o["webhookUrl"] = w.url;
  boost::json::array topics;
  for (domain::Topic t : w.topics.topics()) topics.emplace_back(domain::topic_name(t));
  o["topics"] = std::move(topics);
  o["status"] = domain::webhook_status_name(w.status);
  if (w.disabled_reason) {
    o["disabledReason"] = *w.disabled_reason;
  } else {
    o["disabledReason"] = nullptr;
  }
  o["hasSecretHttp"] = w.secret_http.has_value();
  o["dateCreated"] = format_rfc3339(w.created_at);
  o["dateModified"] = format_rfc3339(w.modified_at);
  return o;
}

}  // namespace hookd::api
