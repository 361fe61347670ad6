#include "store/hand_off_slots.hpp"

namespace hookd::store {

HandOffSlots::~HandOffSlots() { give_back_held(); }

std::vector<bool> HandOffSlots::take(const std::vector<domain::WebhookId>& webhooks) {
  if (!room_ || webhooks.empty()) return std::vector<bool>(webhooks.size(), false);
  std::vector<bool> granted = room_->take_slots(webhooks);
  for (size_t i = 0; i < webhooks.size(); ++i) {
    if (granted[i]) ++held_[webhooks[i]];
  }
  return granted;
}

void HandOffSlots::give_back_held() {
  if (held_.empty()) return;
  std::vector<domain::WebhookId> back;
  for (const auto& [webhook, n] : held_) back.insert(back.end(), n, webhook);
  held_.clear();
  room_->give_back(back);
}

void HandOffSlots::hand_off(std::vector<ClaimedDelivery> deliveries, TimePoint lease_until) {
  if (!room_) return;
  // Each delivery uses its webhook's slot; any slot left over goes back first.
  for (const ClaimedDelivery& d : deliveries) {
    const auto it = held_.find(d.webhook_id);
    if (it != held_.end() && --it->second == 0) held_.erase(it);
  }
  give_back_held();
  if (!deliveries.empty() || left_pending_) {
    room_->hand_off(std::move(deliveries), lease_until, left_pending_);
  }
}

}  // namespace hookd::store
