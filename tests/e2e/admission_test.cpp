// Requests judged on their heads (contract section 3, "Rules for every request"): refusals
// before any body byte, 100 Continue only for an acceptable request, repeated query
// parameters, failed authentication throttled, and the I/O threads free of the store.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <future>
#include <thread>

#include "api_fixture.hpp"
#include "expect_error.hpp"
#include "support/raw_connection.hpp"

namespace hookd::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr uint64_t kMiB = 1024 * 1024;
constexpr std::string_view kUnknownToken = "3f2b8c1e-9a4d-4e7f-b6c5-1d2e3f4a5b6c";

int status_of(std::string_view head) {
  // "HTTP/1.1 401 Unauthorized"
  if (head.size() < 12 || !head.starts_with("HTTP/1.")) return 0;
  return std::stoi(std::string(head.substr(9, 3)));
}

long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  return -1;
}

std::string post_head(std::string_view path, std::string_view token, uint64_t length,
                      std::string_view extra = {}) {
  std::string h = "POST " + std::string(path) + " HTTP/1.1\r\nHost: hookd\r\n";
  h += "Content-Type: application/json\r\nContent-Length: " + std::to_string(length) + "\r\n";
  if (!token.empty()) h += "Authorization: Bearer " + std::string(token) + "\r\n";
  h += extra;
  h += "\r\n";
  return h;
}

// Twenty unauthenticated clients each announce 15 MiB of events: each is answered 401 on its
// head, and the server does not take the bodies into memory.
TEST_F(ApiTest, UnauthenticatedLargeUploadsAreRefusedBeforeTheirBodies) {
  const pid_t pid = server_->process().pid();
  const long before = rss_kib(pid);
  ASSERT_GT(before, 0);
  const std::string body(15 * kMiB, ' ');
  std::vector<std::unique_ptr<RawConnection>> connections;
  for (int i = 0; i < 20; ++i) {
    connections.push_back(std::make_unique<RawConnection>(server_->port()));
    ASSERT_TRUE(connections.back()->send(post_head("/v2/platform/events", "", body.size())));
  }
  // All at once, as an attacker would: a server that waits for the bodies gets them.
  std::vector<std::future<std::string>> answers;
  for (auto& c : connections) {
    answers.push_back(std::async(std::launch::async, [&c, &body] {
      std::string head = c->read_head(5s);
      if (!head.empty()) return head;
      c->send(body);
      c->read_head(30s);
      return std::string("(none before the body)");
    }));
  }
  long peak = before;
  for (auto& a : answers) {
    while (a.wait_for(10ms) != std::future_status::ready) peak = std::max(peak, rss_kib(pid));
    const std::string head = a.get();
    EXPECT_EQ(status_of(head), 401) << head;
  }
  EXPECT_LT(peak - before, 20 * 1024) << "RSS " << before << " kB -> " << peak << " kB";
  std::printf("RSS with 20 refused 15 MiB uploads: %ld kB -> %ld kB\n", before, peak);
  EXPECT_EQ(client_->get("/healthz").status, 200);
}

// Expect: 100-continue is answered 100 only when the request would be accepted so far.
TEST_F(ApiTest, NoContinueWithoutAValidToken) {
  const std::string body = seed_body(6);
  for (std::string_view token : {std::string_view{}, kUnknownToken}) {
    RawConnection c(server_->port());
    ASSERT_TRUE(c.send(post_head("/v2/webhooks", token, body.size(), "Expect: 100-continue\r\n")));
    const std::string head = c.read_head(5s);
    EXPECT_EQ(status_of(head), 401) << head;
  }
  RawConnection c(server_->port());
  ASSERT_TRUE(c.send(post_head("/v2/webhooks", admin6_, body.size(), "Expect: 100-continue\r\n")));
  const std::string interim = c.read_head(5s);
  EXPECT_EQ(status_of(interim), 100) << interim;
  ASSERT_TRUE(c.send(body));
  const auto [head, answer] = c.read_response_parts(10s);
  EXPECT_EQ(status_of(head), 200) << head << answer;
}

TEST_F(ApiTest, UnknownPathsAndOversizedBodiesAreAnsweredBeforeTheBody) {
  {
    // Only exactly /v2/platform/events takes 16 MiB.
    RawConnection c(server_->port());
    ASSERT_TRUE(c.send(post_head("/v2/platform/eventsXYZ", platform_token_, 15 * kMiB)));
    const auto [head, body] = c.read_response_parts(5s);
    EXPECT_EQ(status_of(head), 404) << head;
    EXPECT_NE(body.find("\"NotFound\""), std::string::npos) << body;
  }
  {
    RawConnection c(server_->port());
    ASSERT_TRUE(c.send(post_head("/v2/webhooks", admin6_, 100 * 1024)));
    const auto [head, body] = c.read_response_parts(5s);
    EXPECT_EQ(status_of(head), 413) << head;
    EXPECT_NE(body.find("\"PayloadTooLarge\""), std::string::npos) << body;
  }
  auto list = client_->get("/v2/webhooks", admin6_);
  ASSERT_EQ(list.status, 200) << list;
  EXPECT_TRUE(list.json().as_array().empty()) << list;
}

TEST_F(ApiTest, ABodyOnABodylessRouteIs413BeforeItIsSent) {
  const int64_t id = create_webhook(seed_body(6), admin6_);
  RawConnection c(server_->port());
  ASSERT_TRUE(
      c.send(post_head("/v2/webhooks/" + std::to_string(id) + "/rotate-secret", admin6_, 10)));
  const auto [head, body] = c.read_response_parts(5s);
  EXPECT_EQ(status_of(head), 413) << head;
  EXPECT_NE(body.find("\"PayloadTooLarge\""), std::string::npos) << body;
}

TEST_F(ApiTest, RepeatedQueryParametersAre400) {
  create_webhook(seed_body(6), admin6_);
  for (const char* query : {"?organizationId=7&organizationId=6",
                            "?organizationId=6&organizationId=7", "?size=5&size=5"}) {
    SCOPED_TRACE(query);
    expect_error(client_->get(std::string("/v2/webhooks") + query, admin6_), 400,
                 "InvalidQueryParameter");
    expect_error(client_->get(std::string("/v2/webhooks") + query, platform_token_), 400,
                 "InvalidQueryParameter");
  }
  EXPECT_EQ(client_->get("/v2/webhooks?organizationId=6", admin6_).status, 200);
}

// 50 failed authentications a minute from one address (the default), then 429 with
// Retry-After for requests without a valid token; a valid one still passes.
TEST_F(ApiTest, FailedAuthenticationIsThrottledButValidTokensPass) {
  for (int i = 0; i < 50; ++i) {
    auto r = i % 2 ? client_->get("/v2/webhooks", kUnknownToken) : client_->get("/v2/webhooks");
    ASSERT_EQ(r.status, 401) << "request " << i + 1 << "\n" << r;
  }
  auto throttled = client_->get("/v2/webhooks", kUnknownToken);
  expect_error(throttled, 429, "TooManyRequests");
  ASSERT_TRUE(throttled.header("Retry-After")) << throttled;
  const int after = std::stoi(*throttled.header("Retry-After"));
  EXPECT_GE(after, 1);
  EXPECT_LE(after, 60);
  expect_error(client_->post("/v2/webhooks", seed_body(6)), 429, "TooManyRequests");

  EXPECT_EQ(client_->get("/v2/webhooks", admin6_).status, 200);
  EXPECT_EQ(client_->post("/v2/webhooks", seed_body(6), admin6_).status, 200);
  // Routes without a token are not throttled.
  EXPECT_EQ(client_->get("/healthz").status, 200);
}

class ThrottleOffTest : public ApiTest {
  HookdOptions server_options() override {
    return {.config_toml = "[auth]\nfailures_per_minute = 0\n"};
  }
};

TEST_F(ThrottleOffTest, ZeroTurnsThrottlingOff) {
  for (int i = 0; i < 80; ++i) {
    ASSERT_EQ(client_->get("/v2/webhooks", kUnknownToken).status, 401) << "request " << i + 1;
  }
}

// Two I/O threads, as in the report that found /healthz taking 13 s: a large ingest holds the
// store's writer while small writes queue beside it. The writes wait on the handler pool, not
// on the I/O threads, so /healthz stays fast; a write is answered, or refused 503, never hung.
class LoadTest : public ApiTest {
  HookdOptions server_options() override {
    return {.extra_args = {"--role", "api"}, .config_toml = "threads = 2\n"};
  }
};

TEST_F(LoadTest, HealthAndSmallWritesAreAnsweredWhileALargeBatchIsIngested) {
  constexpr int kWebhooks = 200;
  for (int i = 0; i < kWebhooks; ++i) {
    auto r = client_->post("/v2/webhooks",
                           R"({"organizationId":6,"webhookUrl":"https://h)" + std::to_string(i) +
                               R"(.example.com/","topics":["DeviceStatusEvents"]})",
                           platform_token_);
    ASSERT_EQ(r.status, 200) << r;
  }
  std::string batch = R"({"events":[)";
  for (int i = 0; i < 1000; ++i) {
    if (i) batch += ',';
    batch +=
        R"({"deviceId":85,"topic":"DeviceStatusEvents","data":{"n":)" + std::to_string(i) + "}}";
  }
  batch += "]}";

  std::atomic<bool> ingesting{true};
  const auto batch_started = SteadyClock::now();
  auto large = std::async(std::launch::async, [&] {
    HttpClient client(server_->base_url());
    client.set_timeout(180s);
    auto r = client.post("/v2/platform/events", batch, platform_token_);
    ingesting = false;
    return r;
  });

  struct Sample {
    long status;
    std::chrono::milliseconds took;
    bool retry_after;
  };
  auto timed = [](auto&& request) {
    const auto start = SteadyClock::now();
    HttpResponse r = request();
    return Sample{r.status,
                  std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start),
                  r.header("Retry-After").has_value()};
  };
  // Four clients keep small writes queued beside the batch.
  std::vector<std::future<std::vector<Sample>>> writers;
  for (int w = 0; w < 4; ++w) {
    writers.push_back(std::async(std::launch::async, [&, w] {
      HttpClient client(server_->base_url());
      client.set_timeout(120s);
      std::vector<Sample> samples;
      for (int n = 0; ingesting && n < 200; ++n) {
        samples.push_back(timed([&] {
          return client.put("/v2/platform/organizations/" + std::to_string(100 + w),
                            R"({"name":"n)" + std::to_string(n) + R"("})", platform_token_);
        }));
      }
      return samples;
    }));
  }
  // Another organization's one-event ingests, one after the other.
  auto other_tenant_future = std::async(std::launch::async, [&] {
    HttpClient client(server_->base_url());
    client.set_timeout(120s);
    std::vector<Sample> samples;
    while (ingesting && samples.size() < 20) {
      samples.push_back(timed([&] {
        return client.post("/v2/platform/events", R"({"deviceId":89,"topic":"DeviceStatusEvents"})",
                           platform_token_);
      }));
    }
    return samples;
  });
  // A burst of 300 writes at once, more than the handler pool queues: each is answered, 200
  // or 503 with Retry-After, none hangs. The pool's bound itself is
  // RouterAdmitTest.AFullHandlerPoolAnswers503WithRetryAfter.
  auto burst = std::async(std::launch::async, [&] {
    std::vector<std::unique_ptr<RawConnection>> connections;
    const std::string body = R"({"name":"burst"})";
    for (int i = 0; i < 300; ++i) {
      connections.push_back(std::make_unique<RawConnection>(server_->port()));
      connections.back()->send(
          "PUT /v2/platform/organizations/" + std::to_string(1000 + i) +
          " HTTP/1.1\r\nHost: hookd\r\nContent-Type: application/json\r\nAuthorization: Bearer " +
          platform_token_ + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
          body);
    }
    std::vector<std::string> heads;
    for (auto& c : connections) heads.push_back(c->read_response_parts(120s).head);
    return heads;
  });
  std::vector<Sample> health;
  // A sample every 10 ms or so, until the batch is answered.
  while (large.wait_for(10ms) != std::future_status::ready) {
    health.push_back(timed([&] { return client_->get("/healthz"); }));
  }
  const auto batch_took = SteadyClock::now() - batch_started;
  const HttpResponse batch_answer = large.get();
  EXPECT_EQ(batch_answer.status, 202)
      << batch_answer.status << " " << batch_answer.body.substr(0, 300);

  std::vector<std::chrono::milliseconds> health_times;
  for (const Sample& s : health) {
    EXPECT_EQ(s.status, 200);
    health_times.push_back(s.took);
  }
  ASSERT_GT(batch_took, 500ms) << "the batch was ingested before it could be measured";
  ASSERT_FALSE(health.empty());
  std::sort(health_times.begin(), health_times.end());
  const auto health_p99 = health_times[health_times.size() * 99 / 100];
  const auto health_max = health_times.back();
  // Under 100 ms; one sample of a hundred may lose the shared CPU for longer, but none is held
  // for seconds behind the store.
  EXPECT_LT(health_p99.count(), 100) << "/healthz p99 during the batch";
  EXPECT_LT(health_max.count(), 1000) << "slowest /healthz during the batch";

  size_t ok = 0, busy = 0;
  std::chrono::milliseconds write_max{0};
  for (auto& f : writers) {
    for (const Sample& s : f.get()) {
      write_max = std::max(write_max, s.took);
      if (s.status == 200) {
        ++ok;
      } else {
        EXPECT_EQ(s.status, 503);
        EXPECT_TRUE(s.retry_after);
        ++busy;
      }
    }
  }
  size_t burst_ok = 0, burst_busy = 0;
  for (const std::string& head : burst.get()) {
    const int status = status_of(head);
    if (status == 200) {
      ++burst_ok;
    } else {
      EXPECT_EQ(status, 503) << "unanswered or refused otherwise: " << head;
      EXPECT_NE(head.find("Retry-After: "), std::string::npos) << head;
      ++burst_busy;
    }
  }
  std::chrono::milliseconds other_max{0};
  const std::vector<Sample> other_tenant = other_tenant_future.get();
  for (const Sample& s : other_tenant) {
    EXPECT_TRUE(s.status == 202 || s.status == 503) << s.status;
    other_max = std::max(other_max, s.took);
  }
  std::printf(
      "batch of 1000 events x %d webhooks: %lld ms; /healthz: %zu samples, p99 %lld ms, max %lld "
      "ms; small "
      "writes: %zu answered 200, %zu 503, slowest %lld ms; other organization's one-event "
      "ingest: %zu samples, slowest %lld ms; burst of 300 writes: %zu answered 200, %zu 503\n",
      kWebhooks,
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(batch_took).count()),
      health.size(), static_cast<long long>(health_p99.count()),
      static_cast<long long>(health_max.count()), ok, busy,
      static_cast<long long>(write_max.count()), other_tenant.size(),
      static_cast<long long>(other_max.count()), burst_ok, burst_busy);
}

}  // namespace
}  // namespace hookd::testing
