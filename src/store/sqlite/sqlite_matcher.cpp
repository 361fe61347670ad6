#include "store/sqlite/sqlite_matcher.hpp"

#include <unordered_map>

#include "store/id_list.hpp"
#include "store/sqlite/connection.hpp"
#include "store/store.hpp"

namespace hookd::store::sqlite {
namespace {

// Beyond this many changed webhooks, reading them all is cheaper than one at a time.
constexpr size_t kMaxChangesOneByOne = 1000;

constexpr const char* kDeviceFacts =
    "SELECT d.organization_id, m.group_id FROM devices d"
    " LEFT JOIN device_group_members m ON m.device_id = d.id WHERE d.id = ?1";
constexpr const char* kGeneration = "SELECT value FROM matching_generation WHERE id = 1";
constexpr const char* kChangedWebhooks =
    "SELECT webhook_id FROM webhook_changes WHERE generation > ?1 LIMIT ?2";
constexpr const char* kMatchableWebhook =
    "SELECT organization_id, topics, status, organization_wide,"
    " (SELECT group_concat(device_id) FROM webhook_devices WHERE webhook_id = webhooks.id),"
    " (SELECT group_concat(group_id) FROM webhook_device_groups WHERE webhook_id = webhooks.id)"
    " FROM webhooks WHERE id = ?1";
constexpr const char* kAllWebhooks =
    "SELECT id, organization_id, topics, status, organization_wide FROM webhooks";
constexpr const char* kAllWebhookDevices = "SELECT webhook_id, device_id FROM webhook_devices";
constexpr const char* kAllWebhookGroups = "SELECT webhook_id, group_id FROM webhook_device_groups";

int64_t generation(Connection& c) {
  Statement s = c.prepare(kGeneration);
  if (!s.step()) throw StoreError("matching_generation has no row: is the schema migrated?");
  return s.column_int(0);
}

}  // namespace

std::optional<DeviceFacts> SqliteMatcher::device(Connection& c, domain::DeviceId id) {
  Statement s = c.prepare(kDeviceFacts);
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  DeviceFacts facts;
  facts.organization_id = s.column_int(0);
  do {
    if (auto group = s.column_optional_int(1)) facts.group_ids.push_back(*group);
  } while (s.step());
  return facts;
}

void SqliteMatcher::refresh(Connection& c) {
  const int64_t now = generation(c);
  if (generation_ == now) return;
  if (!generation_) {
    load_all(c);
    generation_ = now;
    return;
  }
  std::vector<domain::WebhookId> changed;
  {
    Statement s = c.prepare(kChangedWebhooks);
    s.bind(1, *generation_).bind(2, static_cast<int64_t>(kMaxChangesOneByOne + 1));
    while (s.step()) changed.push_back(s.column_int(0));
  }
  if (changed.size() > kMaxChangesOneByOne) {
    load_all(c);
  } else {
    for (domain::WebhookId id : changed) {
      Statement s = c.prepare(kMatchableWebhook);
      s.bind(1, id);
      if (!s.step()) {
        index_.remove(id);
        continue;
      }
      MatchableWebhook w;
      w.id = id;
      w.organization_id = s.column_int(0);
      w.topics = domain::TopicSet::from_mask(static_cast<uint32_t>(s.column_int(1)));
      w.enabled = s.column_text(2) == "enabled";
      w.organization_wide = s.column_int(3) != 0;
      w.device_ids = parse_id_list(s.column_optional_text(4));
      w.device_group_ids = parse_id_list(s.column_optional_text(5));
      index_.put(w);
    }
  }
  generation_ = now;
}

void SqliteMatcher::load_all(Connection& c) {
  std::unordered_map<domain::WebhookId, MatchableWebhook> webhooks;
  {
    Statement s = c.prepare(kAllWebhooks);
    while (s.step()) {
      MatchableWebhook w;
      w.id = s.column_int(0);
      w.organization_id = s.column_int(1);
      w.topics = domain::TopicSet::from_mask(static_cast<uint32_t>(s.column_int(2)));
      w.enabled = s.column_text(3) == "enabled";
      w.organization_wide = s.column_int(4) != 0;
      webhooks.emplace(w.id, std::move(w));
    }
  }
  {
    Statement s = c.prepare(kAllWebhookDevices);
    while (s.step()) {
      auto it = webhooks.find(s.column_int(0));
      if (it != webhooks.end()) it->second.device_ids.push_back(s.column_int(1));
    }
  }
  {
    Statement s = c.prepare(kAllWebhookGroups);
    while (s.step()) {
      auto it = webhooks.find(s.column_int(0));
      if (it != webhooks.end()) it->second.device_group_ids.push_back(s.column_int(1));
    }
  }
  index_.clear();
  for (const auto& [id, w] : webhooks) index_.put(w);
}

}  // namespace hookd::store::sqlite
