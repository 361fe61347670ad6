#include "store/hand_off_slots.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace hookd::store {
namespace {

// Counts what it lends and what comes back; grants every slot asked for webhooks it knows.
class CountingRoom final : public HandOffRoom {
 public:
  const std::string& owner() const override { return owner_; }
  std::chrono::milliseconds lease() const override { return std::chrono::seconds(30); }
  std::vector<bool> take_slots(const std::vector<domain::WebhookId>& webhooks) override {
    std::vector<bool> granted;
    for (domain::WebhookId w : webhooks) {
      granted.push_back(w != kRefused);
      if (granted.back()) ++lent[w];
    }
    return granted;
  }
  void give_back(const std::vector<domain::WebhookId>& webhooks) override {
    for (domain::WebhookId w : webhooks) --lent[w];
  }
  void hand_off(std::vector<ClaimedDelivery> deliveries, TimePoint, bool left_pending) override {
    handed = std::move(deliveries);
    told_left_pending = left_pending;
    ++hand_offs;
  }

  static constexpr domain::WebhookId kRefused = 99;
  std::map<domain::WebhookId, int> lent;  // taken and neither given back nor handed off
  std::vector<ClaimedDelivery> handed;
  bool told_left_pending = false;
  int hand_offs = 0;

 private:
  const std::string owner_ = "worker-test";
};

ClaimedDelivery of(domain::WebhookId webhook) {
  ClaimedDelivery d;
  d.webhook_id = webhook;
  return d;
}

// A commit that fails, or is run again from the start, leaves the room as it found it.
TEST(HandOffSlotsTest, SlotsOfACommitThatNeverHandsOffGoBack) {
  CountingRoom room;
  {
    HandOffSlots slots(&room);
    EXPECT_EQ(slots.take({1, 1, 2, CountingRoom::kRefused}),
              (std::vector<bool>{true, true, true, false}));
    EXPECT_EQ(room.lent[1], 2);
  }
  EXPECT_EQ(room.lent[1], 0);
  EXPECT_EQ(room.lent[2], 0);
  EXPECT_EQ(room.hand_offs, 0);
}

// Each delivery handed off uses its webhook's slot; the slots left over go back at once.
TEST(HandOffSlotsTest, SlotsLeftOverByAHandOffGoBack) {
  CountingRoom room;
  HandOffSlots slots(&room);
  slots.take({1, 1, 2});
  slots.hand_off({of(1)}, TimePoint{});
  EXPECT_EQ(room.handed.size(), 1u);
  EXPECT_EQ(room.lent[1], 1);  // the one handed off: the dispatcher holds it now
  EXPECT_EQ(room.lent[2], 0);
  EXPECT_FALSE(room.told_left_pending);
}

// Nothing to hand off and nothing left pending: the room is not bothered. Work left pending
// alone is still told, so that a claim looks for it.
TEST(HandOffSlotsTest, TheRoomHearsOfWorkLeftPendingEvenWithNothingHandedOff) {
  CountingRoom room;
  {
    HandOffSlots slots(&room);
    slots.hand_off({}, TimePoint{});
  }
  EXPECT_EQ(room.hand_offs, 0);
  HandOffSlots slots(&room);
  slots.left_pending();
  slots.hand_off({}, TimePoint{});
  EXPECT_EQ(room.hand_offs, 1);
  EXPECT_TRUE(room.told_left_pending);
}

}  // namespace
}  // namespace hookd::store
