#include "store/postgres/postgres_matcher.hpp"

#include <unordered_map>
#include <unordered_set>

#include "store/id_list.hpp"
#include "store/postgres/connection.hpp"

namespace hookd::store::postgres {
namespace {

// Beyond this many changed webhooks, reading them all is cheaper than by their ids.
constexpr int64_t kMaxChangesByIds = 1000;

constexpr const char* kDeviceFacts =
    "SELECT t.id, d.organization_id,"
    " (SELECT string_agg(m.group_id::text, ',') FROM device_group_members m"
    "   WHERE m.device_id = t.id)"
    " FROM unnest($1::bigint[]) WITH ORDINALITY AS t(id, n)"
    " LEFT JOIN devices d ON d.id = t.id ORDER BY t.n";
constexpr const char* kGeneration = "SELECT value FROM matching_generation WHERE id = 1";
constexpr const char* kChangedWebhooks =
    "SELECT webhook_id FROM webhook_changes WHERE generation > $1 LIMIT $2";
#define MATCHABLE_COLUMNS                                                                    \
  "SELECT w.id, w.organization_id, w.topics, w.status = 'enabled', w.organization_wide,"     \
  " (SELECT string_agg(device_id::text, ',') FROM webhook_devices WHERE webhook_id = w.id)," \
  " (SELECT string_agg(group_id::text, ',') FROM webhook_device_groups"                      \
  "   WHERE webhook_id = w.id)"                                                              \
  " FROM webhooks w"
constexpr const char* kMatchableWebhooks = MATCHABLE_COLUMNS " WHERE w.id = ANY($1::bigint[])";
constexpr const char* kAllMatchableWebhooks = MATCHABLE_COLUMNS;
#undef MATCHABLE_COLUMNS

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

}  // namespace

RequestDevices PostgresMatcher::devices(Connection& c, const std::vector<int64_t>& ids) {
  RequestDevices out;
  out.facts.reserve(ids.size());
  Result r = c.exec(kDeviceFacts, Params().add(ids));
  for (int i = 0; i < r.rows(); ++i) {
    if (r.is_null(i, 1)) {
      out.missing = r.get_int(i, 0);
      return out;
    }
    DeviceFacts facts;
    facts.organization_id = r.get_int(i, 1);
    facts.group_ids = parse_id_list(r.get_optional_text(i, 2));
    out.facts.push_back(std::move(facts));
  }
  return out;
}

void PostgresMatcher::refresh(Connection& c) {
  // Read first: whatever committed up to this generation is visible to the reads below.
  const int64_t now = c.exec(kGeneration).get_int(0, 0);
  if (generation_ == now) return;
  if (!generation_) {
    load_all(c);
    generation_ = now;
    return;
  }
  std::vector<int64_t> changed;
  {
    Result r = c.exec(kChangedWebhooks, Params().add(*generation_).add(kMaxChangesByIds + 1));
    for (int i = 0; i < r.rows(); ++i) changed.push_back(r.get_int(i, 0));
  }
  if (static_cast<int64_t>(changed.size()) > kMaxChangesByIds) {
    load_all(c);
  } else {
    Result r = c.exec(kMatchableWebhooks, Params().add(changed));
    std::unordered_set<int64_t> gone(changed.begin(), changed.end());
    for (int i = 0; i < r.rows(); ++i) {
      MatchableWebhook w = read_matchable(r, i);
      gone.erase(w.id);
      index_.put(w);
    }
    for (int64_t id : gone) index_.remove(id);
  }
  generation_ = now;
}

void PostgresMatcher::load_all(Connection& c) {
  Result r = c.exec(kAllMatchableWebhooks);
  index_.clear();
  for (int i = 0; i < r.rows(); ++i) index_.put(read_matchable(r, i));
}

}  // namespace hookd::store::postgres
