#include "store/matching_index.hpp"

#include <algorithm>

namespace hookd::store {

void MatchingIndex::add_to(Postings& list, const Posting& p) {
  auto it = std::find_if(list.begin(), list.end(), [&](const Posting& q) { return q.id == p.id; });
  if (it == list.end()) {
    list.push_back(p);
  } else {
    *it = p;
  }
}

template <typename Map>
void MatchingIndex::remove_from(Map& map, int64_t key, domain::WebhookId id) {
  auto it = map.find(key);
  if (it == map.end()) return;
  std::erase_if(it->second, [&](const Posting& p) { return p.id == id; });
  if (it->second.empty()) map.erase(it);
}

void MatchingIndex::put(const MatchableWebhook& webhook) {
  remove(webhook.id);
  const Posting p{webhook.id, webhook.organization_id, webhook.topics.mask(), webhook.enabled};
  if (webhook.organization_wide) {
    add_to(organization_wide_[webhook.organization_id], p);
  }
  for (domain::DeviceId d : webhook.device_ids) add_to(by_device_[d], p);
  for (domain::DeviceGroupId g : webhook.device_group_ids) add_to(by_group_[g], p);
  webhooks_.insert_or_assign(webhook.id, webhook);
}

void MatchingIndex::remove(domain::WebhookId id) {
  auto it = webhooks_.find(id);
  if (it == webhooks_.end()) return;
  const MatchableWebhook& w = it->second;
  if (w.organization_wide) remove_from(organization_wide_, w.organization_id, id);
  for (domain::DeviceId d : w.device_ids) remove_from(by_device_, d, id);
  for (domain::DeviceGroupId g : w.device_group_ids) remove_from(by_group_, g, id);
  webhooks_.erase(it);
}

void MatchingIndex::clear() {
  webhooks_.clear();
  by_device_.clear();
  by_group_.clear();
  organization_wide_.clear();
}

void MatchingIndex::match(domain::DeviceId device, domain::OrganizationId organization,
                          std::span<const domain::DeviceGroupId> groups, domain::Topic topic,
                          std::vector<WebhookMatch>& out) const {
  domain::TopicSet wanted;
  wanted.add(topic);
  const size_t first = out.size();
  auto take = [&](const Postings& list) {
    for (const Posting& p : list) {
      if (p.organization_id == organization && (p.topics & wanted.mask()) != 0) {
        out.push_back({p.id, p.enabled});
      }
    }
  };
  auto take_key = [&](const auto& map, int64_t key) {
    auto it = map.find(key);
    if (it != map.end()) take(it->second);
  };
  take_key(by_device_, device);
  for (domain::DeviceGroupId g : groups) take_key(by_group_, g);
  take_key(organization_wide_, organization);
  // A webhook naming the device and one of its groups, or two of its groups, matches once.
  auto begin = out.begin() + static_cast<std::ptrdiff_t>(first);
  std::sort(begin, out.end(), [](const WebhookMatch& a, const WebhookMatch& b) {
    return a.webhook_id < b.webhook_id;
  });
  out.erase(std::unique(begin, out.end()), out.end());
}

}  // namespace hookd::store
