#include "store/hand_off_slots.hpp"

namespace hookd::store {

HandOffSlots::~HandOffSlots() {
  for (const auto& [webhook, n] : held_) {
    for (size_t i = 0; i < n; ++i) room_->give_back(webhook);
  }
}

bool HandOffSlots::take(domain::WebhookId webhook) {
  if (!room_ || !room_->take_slot(webhook)) return false;
  ++held_[webhook];
  return true;
}

void HandOffSlots::give_back(domain::WebhookId webhook) {
  const auto it = held_.find(webhook);
  if (it == held_.end()) return;
  room_->give_back(webhook);
  if (--it->second == 0) held_.erase(it);
}

void HandOffSlots::hand_off(std::vector<ClaimedDelivery> deliveries, TimePoint lease_until) {
  if (!room_) return;
  // Each delivery uses its webhook's slot; any slot left over goes back first.
  for (const ClaimedDelivery& d : deliveries) {
    const auto it = held_.find(d.webhook_id);
    if (it != held_.end() && --it->second == 0) held_.erase(it);
  }
  for (const auto& [webhook, n] : held_) {
    for (size_t i = 0; i < n; ++i) room_->give_back(webhook);
  }
  held_.clear();
  if (!deliveries.empty() || left_pending_) {
    room_->hand_off(std::move(deliveries), lease_until, left_pending_);
  }
}

}  // namespace hookd::store
