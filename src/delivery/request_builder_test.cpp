#include "delivery/request_builder.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "domain/event.hpp"
#include "security/signature.hpp"

namespace hookd::delivery {
namespace {

constexpr int64_t kTimestamp = 1'800'000'000;
constexpr const char* kSecret = "bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB";
constexpr const char* kOldSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

store::ClaimedDelivery delivery() {
  store::ClaimedDelivery d;
  d.id = 7;
  d.webhook_id = 3;
  d.attempts_made = 0;
  d.event.id = "evt_00000001abcdefghijklmnop";
  d.event.organization_id = 6;
  d.event.device_id = 85;
  d.event.topic = domain::Topic::kDeviceTamper;
  d.event.type = "DeviceTamperVibration";
  d.event.time = from_unix_micros(kTimestamp * 1'000'000);
  d.event.data_json = R"({"level":3})";
  d.url = "https://203.0.113.10/hook";
  d.hmac_secrets = {kSecret};
  return d;
}

// The value of header `name`, if the request has it exactly once.
std::optional<std::string> header(const RequestContent& r, std::string_view name) {
  std::optional<std::string> found;
  for (const std::string& h : r.headers) {
    if (h.size() > name.size() + 1 && h.compare(0, name.size(), name) == 0 &&
        h[name.size()] == ':') {
      if (found) return std::nullopt;
      found = h.substr(name.size() + 2);
    }
  }
  return found;
}

TEST(RequestBuilderTest, TheBodyIsTheDeliveryBodyAndTheHeadersNameTheEvent) {
  const auto d = delivery();
  const auto r = build_request(d, kTimestamp, "x-webhook-secret");
  EXPECT_EQ(r.body, domain::delivery_body(d.event, d.webhook_id));
  EXPECT_EQ(header(r, "content-type"), "application/json");
  EXPECT_EQ(header(r, "webhook-id"), d.event.id);
  EXPECT_EQ(header(r, "webhook-timestamp"), std::to_string(kTimestamp));
  EXPECT_EQ(header(r, "x-webhook-topic"), "DeviceTamperEvents");
}

TEST(RequestBuilderTest, TheSignatureVerifiesAsAReceiverWouldCheckIt) {
  const auto d = delivery();
  const auto r = build_request(d, kTimestamp, "x-webhook-secret");
  const auto signature = header(r, "webhook-signature");
  ASSERT_TRUE(signature);
  EXPECT_EQ(security::verify(kSecret, d.event.id, std::to_string(kTimestamp), *signature, r.body,
                             kTimestamp),
            security::VerifyResult::kValid);
  // It covers the body and the timestamp: another of either does not verify.
  EXPECT_EQ(security::verify(kSecret, d.event.id, std::to_string(kTimestamp), *signature,
                             r.body + " ", kTimestamp),
            security::VerifyResult::kNoMatch);
  EXPECT_EQ(security::verify(kSecret, d.event.id, std::to_string(kTimestamp + 1), *signature,
                             r.body, kTimestamp),
            security::VerifyResult::kNoMatch);
}

TEST(RequestBuilderTest, ARotatedSecretGivesTwoSignaturesEachVerifyingWithItsSecret) {
  auto d = delivery();
  d.hmac_secrets = {kSecret, kOldSecret};
  const auto r = build_request(d, kTimestamp, "x-webhook-secret");
  const auto signature = header(r, "webhook-signature");
  ASSERT_TRUE(signature);
  const size_t space = signature->find(' ');
  ASSERT_NE(space, std::string::npos) << *signature;
  const std::string newest = signature->substr(0, space);
  const std::string oldest = signature->substr(space + 1);
  EXPECT_TRUE(newest.starts_with("v1,") && oldest.starts_with("v1,")) << *signature;
  const std::string ts = std::to_string(kTimestamp);
  // Newest first, each signature made with its own secret.
  EXPECT_EQ(security::verify(kSecret, d.event.id, ts, newest, r.body, kTimestamp),
            security::VerifyResult::kValid);
  EXPECT_EQ(security::verify(kOldSecret, d.event.id, ts, oldest, r.body, kTimestamp),
            security::VerifyResult::kValid);
  EXPECT_EQ(security::verify(kOldSecret, d.event.id, ts, newest, r.body, kTimestamp),
            security::VerifyResult::kNoMatch);
}

TEST(RequestBuilderTest, TheHttpSecretIsSentInItsHeaderOnlyWhenTheWebhookHasOne) {
  auto d = delivery();
  const auto without = build_request(d, kTimestamp, "x-webhook-secret");
  EXPECT_EQ(without.headers.size(), 6u);
  EXPECT_FALSE(header(without, "x-webhook-secret"));

  d.secret_http = "PoWJFA11inptkbGz";
  const auto with = build_request(d, kTimestamp, "x-custom-secret");
  EXPECT_EQ(with.headers.size(), 7u);
  EXPECT_EQ(header(with, "x-custom-secret"), "PoWJFA11inptkbGz");
  EXPECT_FALSE(header(with, "x-webhook-secret"));
}

TEST(RequestBuilderTest, TheAttemptHeaderCountsThisAttempt) {
  auto d = delivery();
  EXPECT_EQ(header(build_request(d, kTimestamp, "x-webhook-secret"), "x-webhook-attempt"), "1");
  d.attempts_made = 4;
  const auto fifth = build_request(d, kTimestamp, "x-webhook-secret");
  EXPECT_EQ(header(fifth, "x-webhook-attempt"), "5");
  // Every attempt carries the same bytes, so that a receiver may deduplicate by them.
  EXPECT_EQ(fifth.body, build_request(delivery(), kTimestamp, "x-webhook-secret").body);
}

}  // namespace
}  // namespace hookd::delivery
