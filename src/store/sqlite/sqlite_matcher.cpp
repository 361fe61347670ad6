#include "store/sqlite/sqlite_matcher.hpp"

#include <unordered_map>

#include "store/id_list.hpp"
#include "store/sqlite/connection.hpp"
#include "store/store.hpp"

namespace hookd::store::sqlite {
namespace {

constexpr const char* kGeneration = "SELECT value FROM matching_generation WHERE id = 1";
constexpr const char* kChangedWebhooks =
    "SELECT webhook_id FROM webhook_changes WHERE generation > ?1 LIMIT ?2";
constexpr const char* kChangedDevices =
    "SELECT device_id FROM device_changes WHERE generation > ?1 LIMIT ?2";
constexpr const char* kMatchableWebhook =
    "SELECT organization_id, topics, status, organization_wide,"
    " (SELECT group_concat(device_id) FROM webhook_devices WHERE webhook_id = webhooks.id),"
    " (SELECT group_concat(group_id) FROM webhook_device_groups WHERE webhook_id = webhooks.id)"
    " FROM webhooks WHERE id = ?1";
constexpr const char* kDevice =
    "SELECT organization_id,"
    " (SELECT group_concat(group_id) FROM device_group_members WHERE device_id = devices.id)"
    " FROM devices WHERE id = ?1";
constexpr const char* kAllWebhooks =
    "SELECT id, organization_id, topics, status, organization_wide FROM webhooks";
constexpr const char* kAllWebhookDevices = "SELECT webhook_id, device_id FROM webhook_devices";
constexpr const char* kAllWebhookGroups = "SELECT webhook_id, group_id FROM webhook_device_groups";
constexpr const char* kDeviceCount = "SELECT count(*) FROM devices";
constexpr const char* kAllDevices = "SELECT id, organization_id FROM devices";
constexpr const char* kAllGroupMembers = "SELECT device_id, group_id FROM device_group_members";

int64_t generation(Connection& c) {
  Statement s = c.prepare(kGeneration);
  if (!s.step()) throw StoreError("matching_generation has no row: is the schema migrated?");
  return s.column_int(0);
}

std::vector<int64_t> changed_since(Connection& c, const char* sql, int64_t generation) {
  std::vector<int64_t> ids;
  Statement s = c.prepare(sql);
  s.bind(1, generation).bind(2, kMaxMatchingChangesByIds + 1);
  while (s.step()) ids.push_back(s.column_int(0));
  return ids;
}

}  // namespace

void SqliteMatcher::refresh(Connection& c) {
  const int64_t now = generation(c);
  if (generation_ == now) return;
  if (!generation_) {
    load_all(c);
    generation_ = now;
    return;
  }
  const std::vector<int64_t> webhooks = changed_since(c, kChangedWebhooks, *generation_);
  const std::vector<int64_t> devices = changed_since(c, kChangedDevices, *generation_);
  if (static_cast<int64_t>(webhooks.size() + devices.size()) > kMaxMatchingChangesByIds) {
    load_all(c);
  } else {
    for (int64_t id : webhooks) reload_webhook(c, id);
    for (int64_t id : devices) reload_device(c, id);
  }
  generation_ = now;
}

void SqliteMatcher::reload_webhook(Connection& c, domain::WebhookId id) {
  Statement s = c.prepare(kMatchableWebhook);
  s.bind(1, id);
  if (!s.step()) {
    webhooks_.remove(id);
    return;
  }
  MatchableWebhook w;
  w.id = id;
  w.organization_id = s.column_int(0);
  w.topics = domain::TopicSet::from_mask(static_cast<uint32_t>(s.column_int(1)));
  w.enabled = s.column_text(2) == "enabled";
  w.organization_wide = s.column_int(3) != 0;
  w.device_ids = parse_id_list(s.column_optional_text(4));
  w.device_group_ids = parse_id_list(s.column_optional_text(5));
  webhooks_.put(w);
}

void SqliteMatcher::reload_device(Connection& c, domain::DeviceId id) {
  Statement s = c.prepare(kDevice);
  s.bind(1, id);
  if (!s.step()) {
    devices_.remove(id);
    return;
  }
  devices_.put(id, s.column_int(0), parse_id_list(s.column_optional_text(1)));
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
  // Built aside and swapped in whole: a load that fails half way leaves the old state.
  MatchingIndex index;
  for (const auto& [id, w] : webhooks) index.put(w);
  webhooks.clear();

  DeviceDirectory directory;
  {
    Statement s = c.prepare(kDeviceCount);
    if (s.step()) directory.reserve(static_cast<size_t>(s.column_int(0)));
  }
  {
    Statement s = c.prepare(kAllDevices);
    while (s.step()) directory.put(s.column_int(0), s.column_int(1), {});
  }
  {
    Statement s = c.prepare(kAllGroupMembers);
    while (s.step()) directory.add_group(s.column_int(0), s.column_int(1));
  }
  webhooks_ = std::move(index);
  devices_ = std::move(directory);
}

}  // namespace hookd::store::sqlite
