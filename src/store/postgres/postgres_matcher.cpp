#include "store/postgres/postgres_matcher.hpp"

#include <unordered_set>

#include "store/id_list.hpp"
#include "store/postgres/connection.hpp"

namespace hookd::store::postgres {
namespace {

constexpr const char* kGeneration = "SELECT value FROM matching_generation WHERE id = 1";
constexpr const char* kChangedWebhooks =
    "SELECT webhook_id FROM webhook_changes WHERE generation > $1 LIMIT $2";
constexpr const char* kChangedDevices =
    "SELECT device_id FROM device_changes WHERE generation > $1 LIMIT $2";
#define MATCHABLE_COLUMNS                                                                    \
  "SELECT w.id, w.organization_id, w.topics, w.status = 'enabled', w.organization_wide,"     \
  " (SELECT string_agg(device_id::text, ',') FROM webhook_devices WHERE webhook_id = w.id)," \
  " (SELECT string_agg(group_id::text, ',') FROM webhook_device_groups"                      \
  "   WHERE webhook_id = w.id)"                                                              \
  " FROM webhooks w"
constexpr const char* kMatchableWebhooks = MATCHABLE_COLUMNS " WHERE w.id = ANY($1::bigint[])";
constexpr const char* kAllMatchableWebhooks = MATCHABLE_COLUMNS;
#undef MATCHABLE_COLUMNS
constexpr const char* kDevices =
    "SELECT d.id, d.organization_id,"
    " (SELECT string_agg(m.group_id::text, ',') FROM device_group_members m"
    "   WHERE m.device_id = d.id)"
    " FROM devices d WHERE d.id = ANY($1::bigint[])";
constexpr const char* kAllDevices = "SELECT id, organization_id FROM devices";
constexpr const char* kAllGroupMembers = "SELECT device_id, group_id FROM device_group_members";

MatchableWebhook read_matchable(const Result& r, int row) {
  MatchableWebhook w;
  w.id = r.get_int(row, 0);
  w.organization_id = r.get_int(row, 1);
  w.topics = domain::TopicSet::from_mask(static_cast<uint32_t>(r.get_int(row, 2)));
  w.enabled = r.get_bool(row, 3);
  w.organization_wide = r.get_bool(row, 4);
  w.device_ids = parse_id_list(r.get_optional_text(row, 5));
  w.device_group_ids = parse_id_list(r.get_optional_text(row, 6));
  return w;
}

std::vector<int64_t> changed_since(Connection& c, const char* sql, int64_t generation) {
  std::vector<int64_t> ids;
  Result r = c.exec(sql, Params().add(generation).add(kMaxMatchingChangesByIds + 1));
  for (int i = 0; i < r.rows(); ++i) ids.push_back(r.get_int(i, 0));
  return ids;
}

}  // namespace

void PostgresMatcher::refresh(Connection& c) {
  // Read first: every change numbered up to it has committed, so the reads below see it.
  const int64_t now = c.exec(kGeneration).get_int(0, 0);
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
    generation_ = now;
    return;
  }
  if (!webhooks.empty()) {
    Result r = c.exec(kMatchableWebhooks, Params().add(webhooks));
    std::unordered_set<int64_t> gone(webhooks.begin(), webhooks.end());
    for (int i = 0; i < r.rows(); ++i) {
      MatchableWebhook w = read_matchable(r, i);
      gone.erase(w.id);
      webhooks_.put(w);
    }
    for (int64_t id : gone) webhooks_.remove(id);
  }
  if (!devices.empty()) {
    Result r = c.exec(kDevices, Params().add(devices));
    std::unordered_set<int64_t> gone(devices.begin(), devices.end());
    for (int i = 0; i < r.rows(); ++i) {
      const int64_t id = r.get_int(i, 0);
      gone.erase(id);
      devices_.put(id, r.get_int(i, 1), parse_id_list(r.get_optional_text(i, 2)));
    }
    for (int64_t id : gone) devices_.remove(id);
  }
  generation_ = now;
}

void PostgresMatcher::load_all(Connection& c) {
  // Built aside and swapped in whole: a load that fails half way leaves the old state.
  MatchingIndex index;
  {
    Result r = c.exec(kAllMatchableWebhooks);
    for (int i = 0; i < r.rows(); ++i) index.put(read_matchable(r, i));
  }
  DeviceDirectory directory;
  {
    Result r = c.exec(kAllDevices);
    directory.reserve(static_cast<size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) directory.put(r.get_int(i, 0), r.get_int(i, 1), {});
  }
  {
    Result r = c.exec(kAllGroupMembers);
    for (int i = 0; i < r.rows(); ++i) directory.add_group(r.get_int(i, 0), r.get_int(i, 1));
  }
  webhooks_ = std::move(index);
  devices_ = std::move(directory);
}

}  // namespace hookd::store::postgres
