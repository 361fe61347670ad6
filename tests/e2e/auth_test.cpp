// Authentication and authorization (contract section 2), and the order of 401, 413 and 403.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api_fixture.hpp"
#include "expect_error.hpp"

namespace hookd::testing {
namespace {

constexpr std::string_view kUnknownToken = "3f2b8c1e-9a4d-4e7f-b6c5-1d2e3f4a5b6c";
constexpr size_t kBodyLimit = 64 * 1024;

HttpResponse get_with_authorization(HttpClient& client, std::string_view path,
                                    const std::string& authorization) {
  return client.request("GET", path, std::nullopt, {{"Authorization", authorization}});
}

// A valid create body padded with trailing JSON whitespace to exactly `size` bytes.
std::string padded_body(std::string body, size_t size) {
  if (body.size() < size) body.append(size - body.size(), ' ');
  return body;
}

TEST_F(ApiTest, MissingAuthorizationHeaderIs401) {
  expect_invalid_token(client_->get("/v2/webhooks"));
  expect_invalid_token(client_->post("/v2/webhooks", seed_body(6)));
  expect_invalid_token(client_->get("/v2/webhooks/1"));
  expect_invalid_token(client_->put("/v2/webhooks/1", std::string("{}")));
  expect_invalid_token(client_->del("/v2/webhooks/1"));
  expect_invalid_token(client_->put("/v2/platform/organizations/8", R"({"name":"x"})"));
  expect_invalid_token(client_->post("/v2/platform/tokens", R"({"role":"platform"})"));
}

TEST_F(ApiTest, UnknownWellFormedTokenIs401) {
  expect_invalid_token(client_->get("/v2/webhooks", kUnknownToken));
  expect_invalid_token(client_->post("/v2/webhooks", seed_body(6), kUnknownToken));
  expect_invalid_token(
      client_->put("/v2/platform/organizations/8", R"({"name":"x"})", kUnknownToken));
}

TEST_F(ApiTest, MalformedAuthorizationValuesAre401) {
  const std::vector<std::string> values = {
      "",
      "Bearer",
      "Bearer ",
      "Basic xxx",
      "Basic " + admin6_,
      "Bearer not-a-uuid",
      "Bearer " + admin6_ + "junk",
      "Bearer " + admin6_ + " junk",
      "Bearer " + admin6_ + "," + admin6_,
      "Bearer " + admin6_.substr(0, admin6_.size() - 1),
      "Token " + admin6_,
      "Bearer: " + admin6_,
      admin6_,
  };
  for (const std::string& value : values) {
    SCOPED_TRACE("Authorization: " + value);
    expect_invalid_token(get_with_authorization(*client_, "/v2/webhooks", value));
    expect_invalid_token(
        client_->request("POST", "/v2/webhooks", seed_body(6), {{"Authorization", value}}));
  }
  EXPECT_EQ(client_->get("/v2/webhooks", admin6_).status, 200) << "the token itself is valid";
}

TEST_F(ApiTest, RevokedTokenIs401) {
  auto created = client_->post("/v2/platform/tokens", R"({"role":"admin","organizationId":6})",
                               platform_token_);
  ASSERT_EQ(created.status, 200) << created;
  const auto body = created.json().as_object();
  ASSERT_TRUE(body.at("id").is_int64()) << created;
  const int64_t id = body.at("id").as_int64();
  const std::string token(body.at("token").as_string());

  ASSERT_EQ(client_->get("/v2/webhooks", token).status, 200);
  const int64_t webhook = create_webhook(seed_body(6), token);

  auto revoked = client_->del("/v2/platform/tokens/" + std::to_string(id), platform_token_);
  EXPECT_EQ(revoked.status, 204) << revoked;

  expect_invalid_token(client_->get("/v2/webhooks", token));
  expect_invalid_token(client_->post("/v2/webhooks", seed_body(6), token));
  expect_invalid_token(client_->get("/v2/webhooks/" + std::to_string(webhook), token));
  expect_invalid_token(client_->del("/v2/webhooks/" + std::to_string(webhook), token));
  // Other tokens of the organization are untouched.
  EXPECT_EQ(client_->get("/v2/webhooks/" + std::to_string(webhook), admin6_).status, 200);
}

TEST_F(ApiTest, RevokingAPlatformTokenLocksItOut) {
  auto created = client_->post("/v2/platform/tokens", R"({"role":"platform"})", platform_token_);
  ASSERT_EQ(created.status, 200) << created;
  const int64_t id = created.json().at("id").as_int64();
  const std::string token(created.json().at("token").as_string());
  EXPECT_EQ(client_->put("/v2/platform/organizations/8", R"({"name":"org 8"})", token).status, 200);

  EXPECT_EQ(client_->del("/v2/platform/tokens/" + std::to_string(id), platform_token_).status, 204);
  expect_invalid_token(client_->put("/v2/platform/organizations/9", R"({"name":"org 9"})", token));
}

TEST_F(ApiTest, BearerSchemeWordIsCaseInsensitive) {
  for (const std::string scheme : {"Bearer", "bearer", "BEARER", "bEaReR"}) {
    SCOPED_TRACE(scheme);
    auto r = get_with_authorization(*client_, "/v2/webhooks", scheme + " " + admin6_);
    EXPECT_EQ(r.status, 200) << r;
    auto created = client_->request("POST", "/v2/webhooks", seed_body(6),
                                    {{"Authorization", scheme + " " + admin6_}});
    EXPECT_EQ(created.status, 200) << created;
  }
}

TEST_F(ApiTest, ReadTokenMayOnlyReadItsOrganization) {
  const int64_t id = create_webhook(seed_body(6), admin6_);
  const std::string path = "/v2/webhooks/" + std::to_string(id);

  EXPECT_EQ(client_->get("/v2/webhooks", read6_).status, 200);
  EXPECT_EQ(client_->get(path, read6_).status, 200);

  expect_insufficient_rights(client_->post("/v2/webhooks", seed_body(6), read6_));
  expect_insufficient_rights(
      client_->put(path, R"({"webhookUrl":"https://elsewhere.example.com/"})", read6_));
  expect_insufficient_rights(client_->del(path, read6_));

  // Nothing changed.
  auto after = client_->get(path, admin6_);
  ASSERT_EQ(after.status, 200) << after;
  EXPECT_EQ(after.json().at("webhookUrl").as_string(), "https://webhooks.athom.com/webhook/XXXXX");
  auto list = client_->get("/v2/webhooks", admin6_);
  ASSERT_EQ(list.status, 200) << list;
  EXPECT_EQ(list.json().as_array().size(), 1u) << list;
}

TEST_F(ApiTest, AdminOfAnotherOrganizationCannotCreateThere) {
  expect_insufficient_rights(client_->post("/v2/webhooks", seed_body(6), admin7_));
  // Even an organization-wide webhook without devices.
  expect_insufficient_rights(client_->post(
      "/v2/webhooks",
      R"({"organizationId":6,"webhookUrl":"https://x.example.com/","topics":["DeviceStatusEvents"]})",
      admin7_));
  // An organization the token does not hold, even one that does not exist.
  expect_insufficient_rights(client_->post(
      "/v2/webhooks",
      R"({"organizationId":999,"webhookUrl":"https://x.example.com/","topics":["DeviceStatusEvents"]})",
      admin6_));
  auto list = client_->get("/v2/webhooks", admin6_);
  ASSERT_EQ(list.status, 200) << list;
  EXPECT_TRUE(list.json().as_array().empty()) << list;
}

TEST_F(ApiTest, OrganizationTokensCannotUseThePlatformApi) {
  struct PlatformRequest {
    std::string method, path;
    std::optional<std::string> body;
  };
  const std::vector<PlatformRequest> requests = {
      {"PUT", "/v2/platform/organizations/6", R"({"name":"mine now"})"},
      {"PUT", "/v2/platform/organizations/8", R"({"name":"new org"})"},
      {"PUT", "/v2/platform/devices/85", R"({"organizationId":6,"name":"x"})"},
      {"DELETE", "/v2/platform/devices/85", std::nullopt},
      {"PUT", "/v2/platform/device-groups/600", R"({"organizationId":6,"deviceIds":[85]})"},
      {"DELETE", "/v2/platform/device-groups/600", std::nullopt},
      {"POST", "/v2/platform/tokens", R"({"role":"admin","organizationId":6})"},
      {"POST", "/v2/platform/tokens", R"({"role":"platform"})"},
      {"DELETE", "/v2/platform/tokens/1", std::nullopt},
      {"POST", "/v2/platform/events", R"({"deviceId":85,"topic":"DeviceStatusEvents"})"},
  };
  for (const auto& [role, token] : std::vector<std::pair<std::string, std::string>>{
           {"admin of org 6", admin6_}, {"read of org 6", read6_}, {"admin of org 7", admin7_}}) {
    for (const PlatformRequest& request : requests) {
      SCOPED_TRACE(role + ": " + request.method + " " + request.path);
      expect_insufficient_rights(client_->request(request.method, request.path, request.body,
                                                  {{"Authorization", "Bearer " + token}}));
    }
  }
  // The device and group are still there: a webhook can name them.
  EXPECT_EQ(client_
                ->post("/v2/webhooks",
                       R"({"organizationId":6,"deviceIds":[85],"deviceGroupIds":[600],
                              "webhookUrl":"https://x.example.com/","topics":["DeviceStatusEvents"]})",
                       admin6_)
                .status,
            200);
}

TEST_F(ApiTest, MissingTokenIsReportedBeforeAnOversizedBody) {
  const std::string body = padded_body(seed_body(6), 70 * 1024);
  expect_invalid_token(
      send_or_transport_error([&] { return client_->post("/v2/webhooks", body); }));
  expect_invalid_token(
      send_or_transport_error([&] { return client_->post("/v2/webhooks", body, kUnknownToken); }));
  expect_invalid_token(
      send_or_transport_error([&] { return client_->put("/v2/webhooks/1", body); }));
  expect_invalid_token(
      send_or_transport_error([&] { return client_->post("/v2/platform/tokens", body); }));
  // The server is still answering afterwards.
  EXPECT_EQ(client_->get("/v2/webhooks", admin6_).status, 200);
}

TEST_F(ApiTest, BodyOver64KiBIs413WithAValidToken) {
  const std::string body = padded_body(seed_body(6), kBodyLimit + 1);
  ASSERT_EQ(body.size(), 65537u);
  expect_error(
      send_or_transport_error([&] { return client_->post("/v2/webhooks", body, admin6_); }), 413,
      "PayloadTooLarge");

  const int64_t id = create_webhook(seed_body(6), admin6_);
  expect_error(send_or_transport_error([&] {
                 return client_->put("/v2/webhooks/" + std::to_string(id),
                                     padded_body(R"({"topics":["DeviceStatusEvents"]})", 70 * 1024),
                                     admin6_);
               }),
               413, "PayloadTooLarge");
  // Judged before the body is parsed: not JSON at all, still 413.
  expect_error(send_or_transport_error([&] {
                 return client_->post("/v2/webhooks", std::string(kBodyLimit + 1, 'x'), admin6_);
               }),
               413, "PayloadTooLarge");
  // Only the one webhook exists.
  auto list = client_->get("/v2/webhooks", admin6_);
  ASSERT_EQ(list.status, 200) << list;
  EXPECT_EQ(list.json().as_array().size(), 1u) << list;
}

// A client that asks before sending (Expect: 100-continue) is refused without sending the body.
TEST_F(ApiTest, OversizedBodyAnnouncedWithExpectContinueGetsItsAnswerFirst) {
  const std::string body = padded_body(seed_body(6), 70 * 1024);
  expect_invalid_token(send_or_transport_error([&] {
    return client_->request("POST", "/v2/webhooks", body, {{"Expect", "100-continue"}});
  }));
  expect_error(send_or_transport_error([&] {
                 return client_->request(
                     "POST", "/v2/webhooks", body,
                     {{"Expect", "100-continue"}, {"Authorization", "Bearer " + admin6_}});
               }),
               413, "PayloadTooLarge");
}

// Without a Content-Length the limit is judged while reading.
TEST_F(ApiTest, ChunkedBodyOver64KiBIs413) {
  const std::string body = padded_body(seed_body(6), 70 * 1024);
  expect_error(send_or_transport_error([&] {
                 return client_->request(
                     "POST", "/v2/webhooks", body,
                     {{"Transfer-Encoding", "chunked"}, {"Authorization", "Bearer " + admin6_}});
               }),
               413, "PayloadTooLarge");
  auto list = client_->get("/v2/webhooks", admin6_);
  ASSERT_EQ(list.status, 200) << list;
  EXPECT_TRUE(list.json().as_array().empty()) << list;
}

TEST_F(ApiTest, BodyOfExactly64KiBIsAccepted) {
  const std::string body = padded_body(seed_body(6), kBodyLimit);
  ASSERT_EQ(body.size(), 65536u);
  auto r = client_->post("/v2/webhooks", body, admin6_);
  EXPECT_EQ(r.status, 200) << r.status << " " << r.body.substr(0, 400);
  EXPECT_TRUE(r.json().as_object().contains("id")) << r.body.substr(0, 400);
}

}  // namespace
}  // namespace hookd::testing
