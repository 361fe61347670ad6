#include "store/sqlite/lease_table.hpp"

#include <algorithm>

namespace hookd::store::sqlite {

void LeaseTable::hold(domain::DeliveryId delivery, domain::WebhookId webhook, int64_t until_us) {
  std::lock_guard lock(mutex_);
  leases_[delivery] = Held{webhook, until_us};
}

void LeaseTable::hold(const std::vector<Entry>& entries) {
  if (entries.empty()) return;
  std::lock_guard lock(mutex_);
  for (const Entry& e : entries) leases_[e.delivery] = Held{e.webhook, e.until_us};
}

void LeaseTable::release(const std::vector<Entry>& entries) {
  if (entries.empty()) return;
  std::lock_guard lock(mutex_);
  for (const Entry& e : entries) leases_.erase(e.delivery);
}

bool LeaseTable::held(domain::DeliveryId delivery, int64_t now_us) const {
  std::lock_guard lock(mutex_);
  const auto it = leases_.find(delivery);
  return it != leases_.end() && it->second.until_us >= now_us;
}

void LeaseTable::release(domain::DeliveryId delivery) {
  std::lock_guard lock(mutex_);
  leases_.erase(delivery);
}

void LeaseTable::clear() {
  std::lock_guard lock(mutex_);
  leases_.clear();
}

void LeaseTable::forget_expired(int64_t now_us) {
  std::lock_guard lock(mutex_);
  std::erase_if(leases_, [now_us](const auto& entry) { return entry.second.until_us < now_us; });
}

size_t LeaseTable::count(int64_t now_us) const {
  std::lock_guard lock(mutex_);
  return static_cast<size_t>(std::count_if(
      leases_.begin(), leases_.end(), [&](const auto& e) { return e.second.until_us >= now_us; }));
}

std::unordered_map<domain::WebhookId, size_t> LeaseTable::count_by_webhook(int64_t now_us) const {
  std::lock_guard lock(mutex_);
  std::unordered_map<domain::WebhookId, size_t> counts;
  for (const auto& [delivery, lease] : leases_) {
    if (lease.until_us >= now_us) ++counts[lease.webhook];
  }
  return counts;
}

}  // namespace hookd::store::sqlite
