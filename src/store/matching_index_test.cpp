// The in-memory matching index alone: no database.
#include "store/matching_index.hpp"

#include <gtest/gtest.h>

namespace hookd::store {
namespace {

using domain::Topic;

MatchableWebhook webhook(domain::WebhookId id, domain::OrganizationId org,
                         std::vector<domain::DeviceId> devices,
                         std::vector<domain::DeviceGroupId> groups,
                         std::vector<Topic> topics = {Topic::kDeviceStatus}) {
  MatchableWebhook w;
  w.id = id;
  w.organization_id = org;
  w.device_ids = std::move(devices);
  w.device_group_ids = std::move(groups);
  for (Topic t : topics) w.topics.add(t);
  w.organization_wide = w.device_ids.empty() && w.device_group_ids.empty();
  return w;
}

std::vector<domain::WebhookId> ids(const MatchingIndex& index, domain::DeviceId device,
                                   domain::OrganizationId org,
                                   std::vector<domain::DeviceGroupId> groups,
                                   Topic topic = Topic::kDeviceStatus) {
  std::vector<WebhookMatch> out;
  index.match(device, org, groups, topic, out);
  std::vector<domain::WebhookId> result;
  for (const WebhookMatch& m : out) result.push_back(m.webhook_id);
  return result;
}

TEST(MatchingIndex, FindsDeviceGroupAndOrganizationWideWebhooksOnceEach) {
  MatchingIndex index;
  index.put(webhook(1, 6, {85}, {}));
  index.put(webhook(2, 6, {}, {40}));
  index.put(webhook(3, 6, {}, {}));
  index.put(webhook(4, 6, {85}, {40, 41}));  // the device, and both of its groups
  index.put(webhook(5, 6, {86}, {42}));      // neither
  EXPECT_EQ(ids(index, 85, 6, {40, 41}), (std::vector<domain::WebhookId>{1, 2, 3, 4}));
  EXPECT_EQ(ids(index, 86, 6, {}), (std::vector<domain::WebhookId>{3, 5}));
  EXPECT_EQ(ids(index, 87, 6, {}), (std::vector<domain::WebhookId>{3}));
}

TEST(MatchingIndex, FiltersByTopicAndOrganization) {
  MatchingIndex index;
  index.put(webhook(1, 6, {85}, {}, {Topic::kDeviceTamper}));
  index.put(webhook(2, 6, {}, {}, {Topic::kDeviceStatus, Topic::kDeviceTamper}));
  index.put(webhook(3, 7, {}, {}));    // another organization's
  index.put(webhook(4, 7, {85}, {}));  // names the device, but is of another organization
  EXPECT_EQ(ids(index, 85, 6, {}, Topic::kDeviceTamper), (std::vector<domain::WebhookId>{1, 2}));
  EXPECT_EQ(ids(index, 85, 6, {}, Topic::kDeviceStatus), (std::vector<domain::WebhookId>{2}));
  EXPECT_EQ(ids(index, 85, 6, {}, Topic::kDeviceActivation), (std::vector<domain::WebhookId>{}));
  EXPECT_EQ(ids(index, 85, 7, {}), (std::vector<domain::WebhookId>{3, 4}));
}

TEST(MatchingIndex, DisabledWebhooksMatchAsDisabled) {
  MatchingIndex index;
  MatchableWebhook w = webhook(1, 6, {}, {});
  w.enabled = false;
  index.put(w);
  std::vector<WebhookMatch> out;
  index.match(85, 6, {}, Topic::kDeviceStatus, out);
  EXPECT_EQ(out, (std::vector<WebhookMatch>{{1, false}}));
}

TEST(MatchingIndex, PutReplacesWhatWasKnownAndRemoveForgets) {
  MatchingIndex index;
  index.put(webhook(1, 6, {85}, {40}));
  index.put(webhook(1, 6, {86}, {}));  // moved from device 85 and group 40 to device 86
  EXPECT_EQ(ids(index, 85, 6, {40}), (std::vector<domain::WebhookId>{}));
  EXPECT_EQ(ids(index, 86, 6, {}), (std::vector<domain::WebhookId>{1}));
  index.put(webhook(1, 6, {}, {}));  // now organization-wide
  EXPECT_EQ(ids(index, 85, 6, {}), (std::vector<domain::WebhookId>{1}));
  index.remove(1);
  EXPECT_EQ(ids(index, 85, 6, {}), (std::vector<domain::WebhookId>{}));
  EXPECT_EQ(index.size(), 0u);
  index.remove(1);  // forgetting an unknown webhook is no error
}

TEST(MatchingIndex, AWebhookThatLostItsLastDeviceCoversNothing) {
  MatchingIndex index;
  index.put(webhook(1, 6, {}, {}));
  MatchableWebhook emptied = webhook(2, 6, {}, {});
  emptied.organization_wide = false;
  index.put(emptied);
  EXPECT_EQ(ids(index, 85, 6, {}), (std::vector<domain::WebhookId>{1}));
}

TEST(MatchingIndex, AppendsAfterWhatTheCallerHas) {
  MatchingIndex index;
  index.put(webhook(1, 6, {85}, {}));
  std::vector<WebhookMatch> out{{9, true}};
  index.match(85, 6, {}, Topic::kDeviceStatus, out);
  EXPECT_EQ(out, (std::vector<WebhookMatch>{{9, true}, {1, true}}));
}

}  // namespace
}  // namespace hookd::store
