#include "api/router.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/json.hpp>
#include <future>

#include "security/destination_guard.hpp"
#include "security/secrets.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"

namespace hookd::api {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kKiB = 1024;

http::RequestHead head(std::string method, std::string target, std::string token = {},
                       std::optional<uint64_t> content_length = {}) {
  http::RequestHead h;
  h.method = std::move(method);
  h.target = std::move(target);
  if (!token.empty()) {
    h.authorization = "Bearer " + token;
    h.has_authorization = true;
  }
  h.content_length = content_length;
  h.client_address = "192.0.2.10";
  return h;
}

std::string code_of(const http::Response& r) {
  return std::string(boost::json::parse(r.body).at("code").as_string());
}

class RouterAdmitTest : public ::testing::Test {
 protected:
  RouterAdmitTest() : store_(store::open_store("sqlite://" + dir_.file("hookd.db"))) {
    store_->migrate();
    store_->put_organization({6, "org 6"});
    platform_ = make_token(domain::Role::kPlatform, std::nullopt);
    admin6_ = make_token(domain::Role::kAdmin, 6);
  }

  std::string make_token(domain::Role role, std::optional<int64_t> org) {
    const std::string token = security::generate_token();
    store_->create_token(role, org, security::hash_token(token));
    return token;
  }

  ApiContext context() { return ApiContext{*store_, clock_, guard_}; }

  Router& router() {
    if (!router_) router_ = std::make_unique<Router>(context_ ? *context_ : context());
    return *router_;
  }

  // A refused head: an answer, and nothing the server could run or read a body for.
  http::Response refused(const http::RequestHead& h) {
    http::Admission a = router().admit(h);
    EXPECT_TRUE(a.answer.has_value()) << h.method << " " << h.target;
    EXPECT_FALSE(a.handler) << h.method << " " << h.target;
    EXPECT_EQ(a.body_limit, 0u);
    return a.answer.value_or(http::Response{0});
  }

  void expect_refused(const http::RequestHead& h, int status, std::string_view code) {
    SCOPED_TRACE(h.method + " " + h.target);
    const http::Response r = refused(h);
    EXPECT_EQ(r.status, status) << r.body;
    if (!code.empty()) {
      EXPECT_EQ(code_of(r), code) << r.body;
    }
  }

  // Runs the admitted handler with `body` and waits (with a deadline) for its answer.
  http::Response run(const http::RequestHead& h, std::string body = {}) {
    http::Admission a = router().admit(h);
    EXPECT_FALSE(a.answer) << a.answer->body;
    if (a.answer) return *a.answer;
    http::Request request;
    request.method = h.method;
    request.target = h.target;
    request.body = std::move(body);
    auto promise = std::make_shared<std::promise<http::Response>>();
    auto future = promise->get_future();
    a.handler(std::move(request),
              [promise](http::Response r) { promise->set_value(std::move(r)); });
    EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
    return future.get();
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  SystemClock clock_;
  security::DestinationGuard guard_;
  std::optional<ApiContext> context_;
  std::unique_ptr<Router> router_;
  std::string platform_, admin6_;
};

TEST_F(RouterAdmitTest, OptionsIsAnsweredOnAnyPathWithoutAToken) {
  for (const char* target : {"/v2/webhooks", "/nowhere", "*", "/v2/platform/events"}) {
    expect_refused(head("OPTIONS", target), 204, "");
  }
}

TEST_F(RouterAdmitTest, UnknownRoutesAre404BeforeTheToken) {
  expect_refused(head("GET", "/v3/anything"), 404, "NotFound");
  expect_refused(head("POST", "/v2/platform/eventsXYZ", platform_, 15 * kKiB * kKiB), 404,
                 "NotFound");
  expect_refused(head("POST", "/v2/platform/events/1"), 404, "NotFound");
  expect_refused(head("GET", "/v2/webhooks/1/deliveries/2/again"), 404, "NotFound");
  expect_refused(head("GET", "/v2"), 404, "NotFound");
}

TEST_F(RouterAdmitTest, WrongMethodsAre405BeforeTheToken) {
  expect_refused(head("PATCH", "/v2/webhooks/1", "", 2), 405, "MethodNotAllowed");
  expect_refused(head("GET", "/v2/platform/events"), 405, "MethodNotAllowed");
  expect_refused(head("POST", "/healthz"), 405, "MethodNotAllowed");
  expect_refused(head("GET", "/v2/webhooks/1/deliveries/2/retry"), 405, "MethodNotAllowed");
}

TEST_F(RouterAdmitTest, TokenIsJudgedBeforeTheBodyLimitAndTheRoleBeforeItToo) {
  expect_refused(head("POST", "/v2/platform/events", "", 15 * kKiB * kKiB), 401,
                 "InvalidAuthenticationToken");
  expect_refused(head("POST", "/v2/webhooks", "3f2b8c1e-9a4d-4e7f-b6c5-1d2e3f4a5b6c", 70 * kKiB),
                 401, "InvalidAuthenticationToken");
  // An organization's token on the platform API: 403, whatever body it declares.
  expect_refused(head("POST", "/v2/platform/events", admin6_, 15 * kKiB * kKiB), 403,
                 "InsufficientRights");
  expect_refused(head("PUT", "/v2/platform/organizations/6", admin6_, 10), 403,
                 "InsufficientRights");
}

TEST_F(RouterAdmitTest, BodiesOverTheRoutesLimitAre413) {
  expect_refused(head("POST", "/v2/webhooks", admin6_, 64 * kKiB + 1), 413, "PayloadTooLarge");
  // 16 MiB only on exactly POST /v2/platform/events, for a platform token.
  expect_refused(head("POST", "/v2/platform/events", platform_, 16 * kKiB * kKiB + 1), 413,
                 "PayloadTooLarge");
  expect_refused(head("PUT", "/v2/platform/organizations/6", platform_, 64 * kKiB + 1), 413,
                 "PayloadTooLarge");
  // A bodyless route takes no body, declared or chunked.
  expect_refused(head("GET", "/v2/webhooks", admin6_, 1), 413, "PayloadTooLarge");
  auto chunked = head("DELETE", "/v2/webhooks/1", admin6_);
  chunked.chunked = true;
  expect_refused(chunked, 413, "PayloadTooLarge");
}

TEST_F(RouterAdmitTest, AdmittedHeadsCarryTheirRoutesLimit) {
  auto limit = [&](const http::RequestHead& h) {
    http::Admission a = router().admit(h);
    EXPECT_FALSE(a.answer) << h.target << ": " << (a.answer ? a.answer->body : "");
    EXPECT_TRUE(a.handler);
    return a.body_limit;
  };
  EXPECT_EQ(limit(head("POST", "/v2/webhooks", admin6_, 64 * kKiB)), 64 * kKiB);
  EXPECT_EQ(limit(head("POST", "/v2/platform/events", platform_, 15 * kKiB * kKiB)),
            16 * kKiB * kKiB);
  EXPECT_EQ(limit(head("POST", "/v2/platform/events/", platform_, 10)), 16 * kKiB * kKiB);
  auto chunked = head("POST", "/v2/webhooks", admin6_);
  chunked.chunked = true;
  EXPECT_EQ(limit(chunked), 64 * kKiB);
  EXPECT_EQ(limit(head("GET", "/v2/webhooks", admin6_, 0)), 0u);
  EXPECT_EQ(limit(head("POST", "/v2/webhooks/1/rotate-secret", admin6_)), 0u);
  EXPECT_EQ(limit(head("POST", "/v2/platform/events?x=1", platform_, 10)), 16 * kKiB * kKiB);
}

TEST_F(RouterAdmitTest, RepeatedQueryParametersAre400AfterTheToken) {
  expect_refused(head("GET", "/v2/webhooks?organizationId=7&organizationId=6", admin6_), 400,
                 "InvalidQueryParameter");
  // Decoded names are compared: %49 is I.
  expect_refused(head("GET", "/v2/webhooks?organizationId=6&organization%49d=6", admin6_), 400,
                 "InvalidQueryParameter");
  expect_refused(head("GET", "/v2/webhooks?organizationId=7&organizationId=6"), 401,
                 "InvalidAuthenticationToken");
  EXPECT_EQ(run(head("GET", "/v2/webhooks?organizationId=6&size=5", admin6_)).status, 200);
}

TEST_F(RouterAdmitTest, AMalformedIdempotencyKeyIs400OnTheHeadAfterTheToken) {
  auto keyed = [](http::RequestHead h, std::string key) {
    h.idempotency_key = std::move(key);
    return h;
  };
  for (const std::string& key : {std::string(), std::string(256, 'k'), std::string("a, b")}) {
    expect_refused(keyed(head("POST", "/v2/webhooks", admin6_, 2), key), 400,
                   "InvalidIdempotencyKey");
    expect_refused(keyed(head("POST", "/v2/platform/events", platform_, 2), key), 400,
                   "InvalidIdempotencyKey");
  }
  expect_refused(keyed(head("POST", "/v2/webhooks", "", 2), ""), 401, "InvalidAuthenticationToken");
  expect_refused(keyed(head("POST", "/v2/webhooks", admin6_, 64 * kKiB + 1), ""), 413,
                 "PayloadTooLarge");
  // Routes that neither create nor act ignore it.
  EXPECT_EQ(run(keyed(head("GET", "/v2/webhooks", admin6_), "")).status, 200);
}

TEST_F(RouterAdmitTest, HealthIsAnsweredOnTheHead) {
  for (const char* method : {"GET", "HEAD"}) {
    const http::Response r = refused(head(method, "/healthz"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"status":"ok"})");
  }
}

TEST_F(RouterAdmitTest, AdmittedHandlersAnswerTheWholeRequest) {
  EXPECT_EQ(
      run(head("PUT", "/v2/platform/organizations/8", platform_, 14), R"({"name":"org 8"})").status,
      200);
  EXPECT_TRUE(store_->organization_exists(8));
  EXPECT_EQ(run(head("GET", "/readyz")).status, 200);
  // A body over the admitted limit never reaches the route, whatever the server let through.
  EXPECT_EQ(
      run(head("PUT", "/v2/platform/organizations/9", platform_, 14), std::string(70 * kKiB, ' '))
          .status,
      413);
  EXPECT_FALSE(store_->organization_exists(9));
}

TEST_F(RouterAdmitTest, FailedAuthenticationIsThrottledPerAddressButValidTokensPass) {
  context_.emplace(context());
  context_->auth_failures_per_minute = 3;
  context_->trusted_proxies = {"10.0.0.0/8"};
  const std::string bad = "3f2b8c1e-9a4d-4e7f-b6c5-1d2e3f4a5b6c";
  for (int i = 0; i < 3; ++i) {
    expect_refused(head("GET", "/v2/webhooks", bad), 401, "InvalidAuthenticationToken");
  }
  const http::Response throttled = refused(head("GET", "/v2/webhooks", bad));
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(code_of(throttled), "TooManyRequests");
  ASSERT_EQ(throttled.headers.size(), 1u);
  EXPECT_EQ(throttled.headers[0].first, "Retry-After");
  const int after = std::stoi(throttled.headers[0].second);
  EXPECT_GE(after, 1);
  EXPECT_LE(after, 60);
  expect_refused(head("GET", "/v2/webhooks"), 429, "TooManyRequests");
  // A valid token from the same address is not slowed.
  EXPECT_EQ(run(head("GET", "/v2/webhooks", admin6_)).status, 200);
  // Another address is counted apart.
  auto other = head("GET", "/v2/webhooks", bad);
  other.client_address = "192.0.2.11";
  expect_refused(other, 401, "InvalidAuthenticationToken");

  // Behind a trusted proxy, the forwarded client is counted, not the proxy.
  auto proxied = [&](std::string forwarded) {
    auto h = head("GET", "/v2/webhooks", bad);
    h.client_address = "10.0.0.1";
    h.forwarded_for = std::move(forwarded);
    return h;
  };
  for (int i = 0; i < 3; ++i) expect_refused(proxied("198.51.100.1"), 401, "");
  expect_refused(proxied("198.51.100.1"), 429, "TooManyRequests");
  expect_refused(proxied("198.51.100.2"), 401, "InvalidAuthenticationToken");
  // A forged left-most entry does not make a new client.
  expect_refused(proxied("203.0.113.5, 198.51.100.1"), 429, "TooManyRequests");
}

TEST_F(RouterAdmitTest, ThrottlingOffWithZero) {
  context_.emplace(context());
  context_->auth_failures_per_minute = 0;
  for (int i = 0; i < 100; ++i) {
    expect_refused(head("GET", "/v2/webhooks", "x"), 401, "InvalidAuthenticationToken");
  }
}

// A portal session is refused wherever its role would be admitted, except under /v2/webhooks
// and /portal: a table with a route for admins elsewhere shows the rule apart from the API's
// own routes, of which every one an organization's token reaches is under those two.
TEST_F(RouterAdmitTest, APortalSessionIsRefusedOutsideTheWebhooksAndThePortal) {
  const std::string session = security::generate_token();
  store_->create_portal_session(domain::Role::kAdmin, 6, security::hash_token(session),
                                clock_.now() + std::chrono::hours(1));
  auto answer = [](const char* text) {
    return [text](const RouteCall&) { return http::Response{200, text}; };
  };
  const Roles admin = Roles::of({domain::Role::kAdmin});
  RouteTable table;
  table.add({"GET", "/v2/reports", admin, 0, Runs::kOnHead, answer(R"({"reports":[]})")});
  table.add({"GET", "/v2/webhooks", admin, 0, Runs::kOnHead, answer("[]")});
  table.add({"GET", "/v2/webhooks/{id}", admin, 0, Runs::kOnHead, answer("{}")});
  table.add({"GET", "/portal/session", admin, 0, Runs::kOnHead, answer("{}")});
  router_ = std::make_unique<Router>(context(), std::move(table));

  expect_refused(head("GET", "/v2/reports", session), 403, "InsufficientRights");
  EXPECT_EQ(refused(head("GET", "/v2/reports", admin6_)).status, 200);
  for (const char* target : {"/v2/webhooks", "/v2/webhooks/12", "/portal/session"}) {
    SCOPED_TRACE(target);
    EXPECT_EQ(refused(head("GET", target, session)).status, 200);
    EXPECT_EQ(refused(head("GET", target, admin6_)).status, 200);
  }
}

// The store's write lock held by another connection: handlers queue on the pool, and once
// its queue is full the next request is answered 503 at once instead of waiting.
TEST_F(RouterAdmitTest, AFullHandlerPoolAnswers503WithRetryAfter) {
  context_.emplace(context());
  context_->handler_threads = 1;
  context_->handler_queue = 1;
  sqlite3* lock = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.file("hookd.db").c_str(), &lock), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(lock, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  // One running and one queued at most: of ten, eight or more are refused at once.
  std::vector<std::future<http::Response>> answers;
  for (int i = 0; i < 10; ++i) {
    const auto h =
        head("PUT", "/v2/platform/organizations/" + std::to_string(20 + i), platform_, 12);
    http::Admission a = router().admit(h);
    ASSERT_FALSE(a.answer);
    auto promise = std::make_shared<std::promise<http::Response>>();
    answers.push_back(promise->get_future());
    http::Request request;
    request.method = h.method;
    request.target = h.target;
    request.body = R"({"name":"x"})";
    a.handler(std::move(request),
              [promise](http::Response r) { promise->set_value(std::move(r)); });
  }
  std::vector<size_t> waiting;
  for (size_t i = 0; i < answers.size(); ++i) {
    if (answers[i].wait_for(0s) != std::future_status::ready) {
      waiting.push_back(i);
      continue;
    }
    const http::Response busy = answers[i].get();
    EXPECT_EQ(busy.status, 503) << busy.body;
    EXPECT_EQ(code_of(busy), "ServiceUnavailable");
    ASSERT_EQ(busy.headers.size(), 1u);
    EXPECT_EQ(busy.headers[0], (std::pair<std::string, std::string>{"Retry-After", "1"}));
  }
  EXPECT_GE(waiting.size(), 1u);
  EXPECT_LE(waiting.size(), 2u);

  ASSERT_EQ(sqlite3_exec(lock, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(lock);
  for (size_t i : waiting) {
    ASSERT_EQ(answers[i].wait_for(10s), std::future_status::ready);
    EXPECT_EQ(answers[i].get().status, 200);
  }
}

}  // namespace
}  // namespace hookd::api
