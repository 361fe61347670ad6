// POST /v2/platform/portal-sessions: a short-lived token of one organization and role, valid on
// that organization's /v2/webhooks routes only, and the portal URL that carries it.
#include <boost/json.hpp>

#include "api_fixture.hpp"
#include "common/clock.hpp"
#include "expect_error.hpp"
#include "http/security_headers.hpp"
#include "support/database_reader.hpp"
#include "support/database_writer.hpp"
#include "support/test_database.hpp"

namespace hookd::testing {
namespace {

struct Session {
  std::string token;
  std::string url;
  std::string expires_at;
};

// Moves every portal session's expiry into the past, as the clock passing it would: the
// server's clock is the system's, so the test moves the stored time instead of waiting.
void expire_portal_sessions(const std::string& database_url) {
  const std::string sql = "UPDATE tokens SET expires_at = 1 WHERE portal_session = " +
                          std::string(test_backend() == TestBackend::kSqlite ? "1" : "TRUE");
  write_database(database_url, sql);
}

class PortalSessionsTest : public ApiTest {
 protected:
  HttpResponse request_session(const std::string& body) {
    return client_->post("/v2/platform/portal-sessions", body, platform_token_);
  }

  Session create_session(int org, std::string_view role, std::string_view ttl = "") {
    std::string body =
        R"({"organizationId":)" + std::to_string(org) + R"(,"role":")" + std::string(role) + "\"";
    if (!ttl.empty()) body += R"(,"ttl":")" + std::string(ttl) + "\"";
    body += "}";
    const HttpResponse r = request_session(body);
    EXPECT_EQ(r.status, 200) << r;
    if (r.status != 200) return {};
    const boost::json::value v = r.json();
    const auto& o = v.as_object();
    EXPECT_EQ(o.size(), 3u) << r;
    return Session{std::string(o.at("token").as_string()), std::string(o.at("url").as_string()),
                   std::string(o.at("expiresAt").as_string())};
  }

  static std::vector<int64_t> ids_of(const HttpResponse& list) {
    std::vector<int64_t> ids;
    const boost::json::value v = list.json();
    for (const auto& w : v.as_array()) ids.push_back(w.at("id").as_int64());
    return ids;
  }

  static std::string webhook_body(int org) {
    return R"({"organizationId":)" + std::to_string(org) +
           R"(,"webhookUrl":"https://hooks.example.com/in","topics":["DeviceStatusEvents"]})";
  }
};

TEST_F(PortalSessionsTest, ASessionListsItsOrganizationsWebhooksAndItsUrlCarriesTheToken) {
  const int64_t own = create_webhook(webhook_body(6), admin6_);
  create_webhook(webhook_body(7), admin7_);
  const auto before = std::chrono::system_clock::now();
  const Session s = create_session(6, "admin", "30m");
  EXPECT_EQ(s.url, server_->base_url() + "/portal/#token=" + s.token);
  const auto expires = parse_rfc3339(s.expires_at);
  ASSERT_TRUE(expires) << s.expires_at;
  const auto in = std::chrono::duration_cast<std::chrono::seconds>(expires->time_since_epoch() -
                                                                   before.time_since_epoch());
  EXPECT_GE(in.count(), 29 * 60);
  EXPECT_LE(in.count(), 31 * 60);

  const HttpResponse list = client_->get("/v2/webhooks", s.token);
  ASSERT_EQ(list.status, 200) << list;
  EXPECT_EQ(ids_of(list), std::vector<int64_t>{own});
  EXPECT_EQ(client_->get("/v2/webhooks/" + std::to_string(own), s.token).status, 200);
  // An admin session changes its organization's webhooks.
  EXPECT_EQ(client_->post("/v2/webhooks", webhook_body(6), s.token).status, 200);
}

TEST_F(PortalSessionsTest, WithoutTtlASessionLastsAnHour) {
  const auto before = std::chrono::system_clock::now();
  const Session s = create_session(6, "read");
  const auto expires = parse_rfc3339(s.expires_at);
  ASSERT_TRUE(expires) << s.expires_at;
  const auto in = std::chrono::duration_cast<std::chrono::seconds>(expires->time_since_epoch() -
                                                                   before.time_since_epoch());
  EXPECT_GE(in.count(), 3600 - 60);
  EXPECT_LE(in.count(), 3600 + 60);
}

TEST_F(PortalSessionsTest, AReadSessionCannotWrite) {
  const int64_t id = create_webhook(webhook_body(6), admin6_);
  const Session s = create_session(6, "read", "1h");
  EXPECT_EQ(client_->get("/v2/webhooks", s.token).status, 200);
  const std::string path = "/v2/webhooks/" + std::to_string(id);
  expect_error(client_->post("/v2/webhooks", webhook_body(6), s.token), 403, "InsufficientRights");
  expect_error(client_->put(path, R"({"status":"disabled"})", s.token), 403, "InsufficientRights");
  expect_error(client_->del(path, s.token), 403, "InsufficientRights");
  expect_error(client_->post(path + "/test", std::nullopt, s.token), 403, "InsufficientRights");
  expect_error(client_->post(path + "/rotate-secret", std::nullopt, s.token), 403,
               "InsufficientRights");
  expect_error(client_->post(path + "/recover", R"({"since":"2020-01-01T00:00:00Z"})", s.token),
               403, "InsufficientRights");
  EXPECT_EQ(client_->get(path, admin6_).json().at("status"), "enabled");
}

TEST_F(PortalSessionsTest, ASessionOfOrganization6NeverSeesOrganization7) {
  const int64_t theirs = create_webhook(webhook_body(7), admin7_);
  const Session s = create_session(6, "admin", "1h");
  const HttpResponse list = client_->get("/v2/webhooks", s.token);
  ASSERT_EQ(list.status, 200) << list;
  EXPECT_TRUE(ids_of(list).empty()) << list;
  const std::string path = "/v2/webhooks/" + std::to_string(theirs);
  expect_error(client_->get(path, s.token), 404, "WebhookNotFound");
  expect_error(client_->get(path + "/deliveries", s.token), 404, "WebhookNotFound");
  expect_error(client_->put(path, R"({"status":"disabled"})", s.token), 404, "WebhookNotFound");
  expect_error(client_->del(path, s.token), 404, "WebhookNotFound");
  expect_error(client_->post("/v2/webhooks", webhook_body(7), s.token), 403, "InsufficientRights");
  EXPECT_NE(client_->get("/v2/webhooks?organizationId=7", s.token).status, 200);
  EXPECT_EQ(client_->get(path, admin7_).json().at("status"), "enabled");
}

TEST_F(PortalSessionsTest, ASessionTokenWorksOnWebhookRoutesOnly) {
  const Session s = create_session(6, "admin", "1h");
  expect_error(
      client_->post("/v2/platform/tokens", R"({"role":"admin","organizationId":6})", s.token), 403,
      "InsufficientRights");
  expect_error(client_->post("/v2/platform/events",
                             R"({"deviceId":85,"topic":"DeviceStatusEvents"})", s.token),
               403, "InsufficientRights");
  expect_error(client_->post("/v2/platform/portal-sessions",
                             R"({"organizationId":6,"role":"admin"})", s.token),
               403, "InsufficientRights");
  expect_error(client_->put("/v2/platform/devices/85", R"({"organizationId":6})", s.token), 403,
               "InsufficientRights");
  // An ordinary admin token of the same organization is not limited so (it still is not platform).
  expect_error(
      client_->post("/v2/platform/tokens", R"({"role":"admin","organizationId":6})", admin6_), 403,
      "InsufficientRights");
}

TEST_F(PortalSessionsTest, AnExpiredSessionIsRefused) {
  const Session s = create_session(6, "admin", "1h");
  expire_portal_sessions(server_->database_url());
  expect_error(client_->get("/v2/webhooks", s.token), 401, "InvalidAuthenticationToken");
  // Other tokens live on.
  EXPECT_EQ(client_->get("/v2/webhooks", admin6_).status, 200);
}

TEST_F(PortalSessionsTest, BadRequestsAreRefusedAndCreateNothing) {
  for (const char* body : {
           R"({"organizationId":6,"role":"admin","ttl":"25h"})",
           R"({"organizationId":6,"role":"admin","ttl":"30s"})",
           R"({"organizationId":6,"role":"admin","ttl":"0s"})",
           R"({"organizationId":6,"role":"admin","ttl":"soon"})",
           R"({"organizationId":6,"role":"admin","ttl":3600})",
           R"({"organizationId":6,"role":"platform"})",
           R"({"organizationId":6,"role":"owner"})",
           R"({"organizationId":6})",
           R"({"role":"admin"})",
           R"({"organizationId":"6","role":"admin"})",
           R"([1])",
       }) {
    expect_error(request_session(body), 400, "InvalidRequestBody");
  }
  const HttpResponse ttl = request_session(R"({"organizationId":6,"role":"admin","ttl":"25h"})");
  EXPECT_NE(ttl.body.find("24h"), std::string::npos) << "the error names the bound\n" << ttl;
  expect_error(request_session(R"({"organizationId":99,"role":"admin"})"), 404,
               "OrganizationNotFound");
  expect_error(client_->post("/v2/platform/portal-sessions",
                             R"({"organizationId":6,"role":"admin"})", admin6_),
               403, "InsufficientRights");
  auto tokens = open_database_reader(server_->database_url())
                    ->rows("SELECT count(*) FROM tokens WHERE expires_at IS NOT NULL");
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0], "0|");
}

TEST_F(PortalSessionsTest, SessionTokensAreStoredHashed) {
  const Session s = create_session(6, "read", "1h");
  const auto rows = open_database_reader(server_->database_url())
                        ->rows("SELECT token_hash FROM tokens WHERE expires_at IS NOT NULL");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].find(s.token), std::string::npos);
}

// GET /portal/session: who the portal's token is, in the seed's headers, kept by no cache.
class PortalCallerTest : public PortalSessionsTest {
 protected:
  boost::json::object caller(const std::string& token) {
    const HttpResponse r = client_->get("/portal/session", token);
    EXPECT_EQ(r.status, 200) << r;
    EXPECT_EQ(r.header("Content-Type"), "application/json") << r;
    EXPECT_EQ(r.header_values("Cache-Control"), std::vector<std::string>{"no-store"}) << r;
    for (const auto& [name, value] : http::kSecurityHeaders) {
      EXPECT_EQ(r.header_values(name), std::vector<std::string>{std::string(value)}) << name;
    }
    if (r.status != 200) return {};
    return r.json().as_object();
  }
};

TEST_F(PortalCallerTest, AnAdminTokenIsItsOrganizationsAdminWithoutExpiry) {
  EXPECT_EQ(caller(admin6_), (boost::json::object{{"organizationId", 6},
                                                  {"role", "admin"},
                                                  {"portalSession", false},
                                                  {"expiresAt", nullptr}}));
  EXPECT_EQ(caller(admin7_).at("organizationId"), 7);
}

TEST_F(PortalCallerTest, AReadTokenIsRead) {
  EXPECT_EQ(caller(read6_), (boost::json::object{{"organizationId", 6},
                                                 {"role", "read"},
                                                 {"portalSession", false},
                                                 {"expiresAt", nullptr}}));
}

TEST_F(PortalCallerTest, APortalSessionSaysItsRoleAndWhenItEnds) {
  const Session read = create_session(7, "read", "30m");
  EXPECT_EQ(caller(read.token), (boost::json::object{{"organizationId", 7},
                                                     {"role", "read"},
                                                     {"portalSession", true},
                                                     {"expiresAt", read.expires_at}}));
  const Session admin = create_session(6, "admin", "2h");
  const boost::json::object o = caller(admin.token);
  EXPECT_EQ(o.at("role"), "admin");
  EXPECT_EQ(o.at("organizationId"), 6);
  EXPECT_EQ(o.at("expiresAt"), boost::json::value(admin.expires_at));
}

TEST_F(PortalCallerTest, APlatformTokenIs403AndNoTokenOrAnExpiredSessionIs401) {
  expect_insufficient_rights(client_->get("/portal/session", platform_token_));
  expect_invalid_token(client_->get("/portal/session"));
  expect_invalid_token(client_->get("/portal/session", "3f2b8c1e-9a4d-4e7f-b6c5-1d2e3f4a5b6c"));
  const Session s = create_session(6, "admin", "1h");
  expire_portal_sessions(server_->database_url());
  expect_invalid_token(client_->get("/portal/session", s.token));
  // The portal's files are still served beside it, without a token.
  EXPECT_EQ(client_->get("/portal/app.js").status, 200);
  expect_error(client_->post("/portal/session", std::nullopt, admin6_), 405, "MethodNotAllowed");
}

class PortalBaseUrlTest : public ApiTest {
 protected:
  HookdOptions server_options() override {
    HookdOptions o;
    o.env = {{"HOOKD_PORTAL_BASE_URL", "https://hooks.example.com/"}};
    return o;
  }
};

TEST_F(PortalBaseUrlTest, TheUrlBeginsWithTheConfiguredBaseUrl) {
  const HttpResponse r = client_->post("/v2/platform/portal-sessions",
                                       R"({"organizationId":7,"role":"read"})", platform_token_);
  ASSERT_EQ(r.status, 200) << r;
  const std::string token(r.json().at("token").as_string());
  EXPECT_EQ(r.json().at("url").as_string(), "https://hooks.example.com/portal/#token=" + token);
}

}  // namespace
}  // namespace hookd::testing
