#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "domain/delivery.hpp"
#include "domain/webhook.hpp"

namespace hookd::store::sqlite {

// The leases of a database only one process uses, kept in that process's memory instead of
// being written to each claimed row: a claim costs no write, and a crash frees every lease as
// the process's start would (Store::release_all_leases). A lease ends when its attempt is
// recorded, when the delivery is sent again by hand, or when its time runs out. Thread-safe.
class LeaseTable {
 public:
  void hold(domain::DeliveryId delivery, domain::WebhookId webhook, int64_t until_us);
  // Several at once, under one lock.
  struct Entry {
    domain::DeliveryId delivery = 0;
    domain::WebhookId webhook = 0;
    int64_t until_us = 0;
  };
  void hold(const std::vector<Entry>& entries);
  void release(const std::vector<Entry>& entries);
  // True while a lease on `delivery` has not run out at `now_us`.
  bool held(domain::DeliveryId delivery, int64_t now_us) const;
  void release(domain::DeliveryId delivery);
  void clear();
  // Forgets the leases that have run out at `now_us`.
  void forget_expired(int64_t now_us);
  // Leases still running at `now_us`: in all, and by webhook.
  size_t count(int64_t now_us) const;
  std::unordered_map<domain::WebhookId, size_t> count_by_webhook(int64_t now_us) const;

 private:
  struct Held {
    domain::WebhookId webhook = 0;
    int64_t until_us = 0;
  };
  mutable std::mutex mutex_;
  std::unordered_map<domain::DeliveryId, Held> leases_;
};

}  // namespace hookd::store::sqlite
