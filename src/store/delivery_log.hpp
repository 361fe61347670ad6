#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "domain/delivery.hpp"
#include "domain/event.hpp"
#include "domain/topic.hpp"
#include "domain/webhook.hpp"

namespace hookd::store {

struct QueueStats {
  int64_t pending = 0;
  std::optional<TimePoint> oldest_pending_created_at;
};

struct DeliveryQuery {
  domain::WebhookId webhook_id = 0;
  std::optional<domain::DeliveryStatus> status;
  int64_t offset = 0;
  int64_t size = 50;
};

// A delivery as its log shows it.
struct DeliverySummary {
  domain::DeliveryId id = 0;
  std::string event_id;
  domain::Topic topic = domain::Topic::kDeviceStatus;
  domain::DeliveryStatus status = domain::DeliveryStatus::kPending;
  int attempt_count = 0;
  std::optional<TimePoint> next_attempt_at;
  std::optional<int> last_status_code;
  std::optional<std::string> last_error;
  TimePoint created_at;
};

struct Attempt {
  int number = 0;
  domain::AttemptResult result;
};

struct DeliveryDetail {
  DeliverySummary summary;
  domain::Event event;
  std::vector<Attempt> attempts;  // oldest first
};

// What was delivered, as a webhook's log shows it, and sending it again.
class DeliveryLog {
 public:
  virtual ~DeliveryLog() = default;

  // How much waits to be sent (for /metrics).
  virtual QueueStats queue_stats() = 0;

  // A webhook's deliveries, newest first.
  virtual std::vector<DeliverySummary> list_deliveries(const DeliveryQuery& query) = 0;
  virtual std::optional<DeliveryDetail> find_delivery(domain::WebhookId webhook,
                                                      domain::DeliveryId id) = 0;
  // Makes a delivery of `webhook` pending and due at `now`, whatever its state; false when
  // there is no such delivery.
  virtual bool retry_delivery(domain::WebhookId webhook, domain::DeliveryId id, TimePoint now) = 0;
  // Makes every failed or skipped delivery of `webhook` created at or after `since` pending
  // and due at `now`; returns how many.
  virtual int64_t recover_deliveries(domain::WebhookId webhook, TimePoint since, TimePoint now) = 0;
};

}  // namespace hookd::store
