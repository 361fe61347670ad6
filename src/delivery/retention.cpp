#include "delivery/retention.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "domain/event.hpp"

namespace hookd::delivery {

RetentionPurger::RetentionPurger(store::Store& store, const Clock& clock,
                                 std::chrono::milliseconds retention, size_t batch)
    : store_(store),
      clock_(clock),
      retention_(retention),
      batch_(batch),
      // A tenth of the retention, between one second and one minute.
      interval_(std::clamp<std::chrono::milliseconds>(retention / 10, std::chrono::seconds(1),
                                                      std::chrono::minutes(1))) {
  loop_.start([this] { return turn(); }, std::chrono::steady_clock::now() + interval_);
}

RetentionPurger::~RetentionPurger() { stop(); }

void RetentionPurger::stop() { loop_.stop(); }

store::PurgeResult RetentionPurger::purge_once() {
  store::PurgeResult total;
  while (true) {
    const TimePoint now = clock_.now();
    const store::PurgeResult r =
        store_.purge(now - retention_, now - domain::kProducerIdWindow, batch_);
    total.deliveries += r.deliveries;
    total.events += r.events;
    total.producer_ids += r.producer_ids;
    // Idempotency keys carry their own expiry (24 h after first use), whatever the retention.
    const int64_t keys = store_.purge_idempotency_keys(now, batch_);
    total.idempotency_keys += keys;
    if (r.deliveries < static_cast<int64_t>(batch_) && r.events < static_cast<int64_t>(batch_) &&
        r.producer_ids < static_cast<int64_t>(batch_) && keys < static_cast<int64_t>(batch_)) {
      return total;
    }
    if (loop_.stopping()) return total;
  }
}

std::optional<BackgroundLoop::TimePoint> RetentionPurger::turn() {
  if (loop_.stopping()) return std::nullopt;
  try {
    // Rotated-out secrets go once their grace is over, not only at the next rotation.
    if (const int64_t n = store_.forget_expired_secrets(clock_.now()); n > 0) {
      log::info("forgot secrets past their rotation grace", {{"secrets", n}});
    }
    const store::PurgeResult r = purge_once();
    if (r.total() > 0) {
      log::info("purged past retention", {{"deliveries", r.deliveries},
                                          {"events", r.events},
                                          {"producer_ids", r.producer_ids},
                                          {"idempotency_keys", r.idempotency_keys}});
    }
  } catch (const std::exception& e) {
    log::error("purge failed", {{"error", e.what()}});
  }
  return std::chrono::steady_clock::now() + interval_;
}

}  // namespace hookd::delivery
