#pragma once

#include <unordered_map>
#include <vector>

#include "common/clock.hpp"
#include "store/delivery_queue.hpp"

namespace hookd::store {

// The slots one ingestion commit takes from a HandOffRoom. Those not handed off are given back
// when it goes, so that a commit that fails, or is run again from the start, leaves the room
// as it found it. Without a room it takes no slot.
class HandOffSlots {
 public:
  explicit HandOffSlots(HandOffRoom* room) : room_(room) {}
  ~HandOffSlots();
  HandOffSlots(const HandOffSlots&) = delete;
  HandOffSlots& operator=(const HandOffSlots&) = delete;

  HandOffRoom* room() const { return room_; }
  // A slot for each new pending delivery of `webhooks[i]`, whose delivery is then stored leased
  // to the room; all false without a room. One call per commit: the room is locked once.
  std::vector<bool> take(const std::vector<domain::WebhookId>& webhooks);
  // The commit stores a pending delivery without a lease: a claim has to find it.
  void left_pending() { left_pending_ = true; }
  // After the commit: the deliveries stored leased, one per slot still held; the other slots
  // go back.
  void hand_off(std::vector<ClaimedDelivery> deliveries, TimePoint lease_until);

 private:
  void give_back_held();

  HandOffRoom* const room_;
  std::unordered_map<domain::WebhookId, size_t> held_;
  bool left_pending_ = false;
};

}  // namespace hookd::store
