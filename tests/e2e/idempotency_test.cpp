// Idempotency-Key (CONTRACT §3, "Rules for every request"), on the real binary and both
// backends: a replay gives the first answer without acting again, another request with the key
// is 422, a request still running with it is 409, keys are per organization, expire after 24 h,
// are stored hashed with their answers sealed, and are shared by every process on PostgreSQL.
#include <atomic>
#include <chrono>
#include <thread>

#include "api_fixture.hpp"
#include "expect_error.hpp"
#include "store/postgres/connection.hpp"
#include "support/database_reader.hpp"
#include "support/database_writer.hpp"
#include "support/test_database.hpp"

namespace hookd::testing {
namespace {

using namespace std::chrono_literals;

bool on_postgres() { return test_backend() == TestBackend::kPostgres; }

// Holds organization 6's row locked from another connection, so that a webhook create in it
// waits (PostgreSQL), until release().
class OrganizationLock {
 public:
  explicit OrganizationLock(const std::string& database_url)
      : connection_(database_url, {}), tx_(connection_) {
    connection_.exec("SELECT 1 FROM organizations WHERE id = 6 FOR UPDATE");
  }
  void release() { tx_.commit(); }

 private:
  store::postgres::Connection connection_;
  store::postgres::Transaction tx_;
};

class IdempotencyTest : public ApiTest {
 protected:
  HttpResponse post(HttpClient& client, std::string_view path, std::string body,
                    const std::string& token, std::string_view key) {
    return client.request(
        "POST", path, std::move(body),
        {{"Authorization", "Bearer " + token}, {"Idempotency-Key", std::string(key)}});
  }
  HttpResponse post(std::string_view path, std::string body, const std::string& token,
                    std::string_view key) {
    return post(*client_, path, std::move(body), token, key);
  }

  // The single value `sql` selects, as text.
  std::string value(const std::string& sql) const {
    auto rows = open_database_reader(server_->database_url())->rows(sql);
    if (rows.size() != 1) return "rows: " + std::to_string(rows.size());
    rows[0].pop_back();  // the column's '|'
    return rows[0];
  }
  std::string webhooks() const { return value("SELECT count(*) FROM webhooks"); }

  // Waits until a request with a key is running (its claim is stored, its answer is not).
  void await_running_claim() const {
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (value("SELECT count(*) FROM idempotency_keys WHERE status IS NULL") != "1") {
      ASSERT_LT(std::chrono::steady_clock::now(), until) << "no request with a key is running";
      std::this_thread::yield();
    }
  }

  static void expect_replay_of(const HttpResponse& replay, const HttpResponse& first) {
    EXPECT_EQ(replay.status, first.status) << replay;
    EXPECT_EQ(replay.body, first.body);
    EXPECT_EQ(replay.header("Idempotent-Replayed"), "true") << replay;
    EXPECT_EQ(replay.header("Content-Type"), "application/json");
  }
};

TEST_F(IdempotencyTest, ACreateSentTwiceIsAnsweredTwiceAndCreatesOneWebhook) {
  const auto first = post("/v2/webhooks", seed_body(), admin6_, "create-hook-1");
  ASSERT_EQ(first.status, 200) << first;
  EXPECT_FALSE(first.header("Idempotent-Replayed")) << first;
  const auto again = post("/v2/webhooks", seed_body(), admin6_, "create-hook-1");
  expect_replay_of(again, first);  // the same id and secretHmac
  EXPECT_EQ(webhooks(), "1");
  // Without a key every request acts.
  EXPECT_EQ(client_->post("/v2/webhooks", seed_body(), admin6_).status, 200);
  EXPECT_EQ(webhooks(), "2");
}

TEST_F(IdempotencyTest, AKeyIsStoredOnlyAsAHashAndTheAnswerSealed) {
  const auto first = post("/v2/webhooks", seed_body(), admin6_, "key-to-look-for-in-the-db");
  ASSERT_EQ(first.status, 200) << first;
  const std::string secret(first.json().at("secretHmac").as_string());
  const auto rows =
      open_database_reader(server_->database_url())->rows("SELECT * FROM idempotency_keys");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].find("key-to-look-for-in-the-db"), std::string::npos) << rows[0];
  EXPECT_EQ(rows[0].find(secret), std::string::npos) << rows[0];
  EXPECT_NE(rows[0].find("hk1:"), std::string::npos) << rows[0];  // the sealed answer
}

TEST_F(IdempotencyTest, AnEventsPostSentTwiceStoresItsEventsOnce) {
  create_webhook(seed_body(), admin6_);
  const std::string body =
      R"({"events":[{"deviceId":85,"topic":"DeviceStatusEvents","data":{"locked":true}},)"
      R"({"deviceId":86,"topic":"DeviceTamperEvents"}]})";
  const auto first = post("/v2/platform/events", body, platform_token_, "events-batch-1");
  ASSERT_EQ(first.status, 202) << first;
  const auto again = post("/v2/platform/events", body, platform_token_, "events-batch-1");
  expect_replay_of(again, first);
  EXPECT_EQ(value("SELECT count(*) FROM events"), "2");
  EXPECT_EQ(value("SELECT count(*) FROM deliveries"), "2");
}

TEST_F(IdempotencyTest, EveryPostThatActsReplaysItsFirstAnswer) {
  const int64_t id = create_webhook(seed_body(), admin6_);
  const std::string hook = "/v2/webhooks/" + std::to_string(id);

  const auto rotated = post(hook + "/rotate-secret", "", admin6_, "rotate-1");
  ASSERT_EQ(rotated.status, 200) << rotated;
  expect_replay_of(post(hook + "/rotate-secret", "", admin6_, "rotate-1"), rotated);
  EXPECT_EQ(value("SELECT count(*) FROM webhook_secrets"), "1");  // rotated once

  const auto tested = post(hook + "/test", "", admin6_, "test-1");
  ASSERT_EQ(tested.status, 202) << tested;
  expect_replay_of(post(hook + "/test", "", admin6_, "test-1"), tested);
  const auto deliveries = client_->get(hook + "/deliveries", admin6_);
  ASSERT_EQ(deliveries.json().as_array().size(), 1u) << deliveries;
  const std::string delivery = std::to_string(deliveries.json().as_array()[0].at("id").as_int64());

  const auto retried = post(hook + "/deliveries/" + delivery + "/retry", "", admin6_, "retry-1");
  ASSERT_EQ(retried.status, 202) << retried;
  expect_replay_of(post(hook + "/deliveries/" + delivery + "/retry", "", admin6_, "retry-1"),
                   retried);

  const std::string since = R"({"since":"2020-01-01T00:00:00Z"})";
  const auto recovered = post(hook + "/recover", since, admin6_, "recover-1");
  ASSERT_EQ(recovered.status, 202) << recovered;
  expect_replay_of(post(hook + "/recover", since, admin6_, "recover-1"), recovered);

  const std::string token_body = R"({"role":"read","organizationId":6})";
  const auto token = post("/v2/platform/tokens", token_body, platform_token_, "token-1");
  ASSERT_EQ(token.status, 200) << token;
  const std::string tokens_before = value("SELECT count(*) FROM tokens");
  expect_replay_of(post("/v2/platform/tokens", token_body, platform_token_, "token-1"), token);
  EXPECT_EQ(value("SELECT count(*) FROM tokens"), tokens_before);
}

TEST_F(IdempotencyTest, AClientErrorIsReplayedToo) {
  const std::string missing_device = R"({"organizationId":6,"deviceIds":[999],)"
                                     R"("webhookUrl":"https://example.com/h",)"
                                     R"("topics":["DeviceStatusEvents"]})";
  const auto first = post("/v2/webhooks", missing_device, admin6_, "bad-device");
  expect_error(first, 404, "DeviceNotFound");
  put_device(999, 6);  // the device exists now, but the key keeps its first answer
  expect_replay_of(post("/v2/webhooks", missing_device, admin6_, "bad-device"), first);
  EXPECT_EQ(webhooks(), "0");
}

TEST_F(IdempotencyTest, TheSameKeyForAnotherRequestIs422) {
  const auto first = post("/v2/webhooks", seed_body(), admin6_, "reused");
  ASSERT_EQ(first.status, 200) << first;
  std::string other_body = seed_body();
  other_body.replace(other_body.find("[85, 86, 87]"), 12, "[85]");
  expect_error(post("/v2/webhooks", other_body, admin6_, "reused"), 422, "IdempotencyKeyReused");
  const std::string hook = "/v2/webhooks/" + std::to_string(first.json().at("id").as_int64());
  expect_error(post(hook + "/test", "", admin6_, "reused"), 422, "IdempotencyKeyReused");
  EXPECT_EQ(webhooks(), "1");
  EXPECT_EQ(value("SELECT count(*) FROM events"), "0");  // no test event was queued
}

TEST_F(IdempotencyTest, KeysOfDifferentCallersNeverMeet) {
  std::string body7 = seed_body(7);
  body7.replace(body7.find("[85, 86, 87]"), 12, "[89, 90, 91]");
  const auto org6 = post("/v2/webhooks", seed_body(6), admin6_, "shared-key");
  const auto org7 = post("/v2/webhooks", body7, admin7_, "shared-key");
  ASSERT_EQ(org6.status, 200) << org6;
  ASSERT_EQ(org7.status, 200) << org7;
  EXPECT_FALSE(org7.header("Idempotent-Replayed"));
  EXPECT_NE(org6.body, org7.body);
  // In organization 7 the key is its first request's now: another body is a reuse.
  const auto org7_same = post("/v2/webhooks", seed_body(6), admin7_, "shared-key");
  EXPECT_EQ(org7_same.status, 422) << org7_same;
  // The platform is a caller of its own.
  const auto platform = post("/v2/webhooks", seed_body(6), platform_token_, "shared-key");
  ASSERT_EQ(platform.status, 200) << platform;
  EXPECT_FALSE(platform.header("Idempotent-Replayed"));
  EXPECT_EQ(webhooks(), "3");
}

TEST_F(IdempotencyTest, AMalformedKeyIs400AndNothingIsCreated) {
  auto with_lines = [&](std::vector<std::string> key_lines) {
    key_lines.push_back("Authorization: Bearer " + admin6_);
    key_lines.push_back("Content-Type: application/json");
    return client_->request_raw("POST", "/v2/webhooks", seed_body(), std::move(key_lines));
  };
  expect_error(post("/v2/webhooks", seed_body(), admin6_, std::string(256, 'k')), 400,
               "InvalidIdempotencyKey");
  expect_error(with_lines({"Idempotency-Key;"}), 400, "InvalidIdempotencyKey");  // empty
  expect_error(with_lines({"Idempotency-Key: tab\there"}), 400, "InvalidIdempotencyKey");
  expect_error(with_lines({"Idempotency-Key: caf\xc3\xa9"}), 400, "InvalidIdempotencyKey");
  expect_error(with_lines({"Idempotency-Key: one", "Idempotency-Key: two"}), 400,
               "InvalidIdempotencyKey");
  EXPECT_EQ(webhooks(), "0");
  // 255 visible characters are a key.
  const std::string longest(255, '~');
  const auto first = post("/v2/webhooks", seed_body(), admin6_, longest);
  ASSERT_EQ(first.status, 200) << first;
  expect_replay_of(post("/v2/webhooks", seed_body(), admin6_, longest), first);
  // The key is judged after the token: without one it is 401, whatever the key.
  expect_error(post("/v2/webhooks", seed_body(), "", std::string(256, 'k')), 401,
               "InvalidAuthenticationToken");
}

TEST_F(IdempotencyTest, AKeyIsFreeAgain24HoursAfterItsFirstUse) {
  const auto first = post("/v2/webhooks", seed_body(), admin6_, "daily");
  ASSERT_EQ(first.status, 200) << first;
  expect_replay_of(post("/v2/webhooks", seed_body(), admin6_, "daily"), first);
  // A day passes for the key.
  write_database(server_->database_url(),
                 "UPDATE idempotency_keys SET expires_at = expires_at - 86400000000");
  const auto next_day = post("/v2/webhooks", seed_body(), admin6_, "daily");
  ASSERT_EQ(next_day.status, 200) << next_day;
  EXPECT_FALSE(next_day.header("Idempotent-Replayed"));
  EXPECT_NE(next_day.body, first.body);
  EXPECT_EQ(webhooks(), "2");
}

// A request of a process that died leaves its claim unfinished: 409 until the claim's bound
// passes, then the next request with the key acts.
TEST_F(IdempotencyTest, AnUnfinishedClaimIs409UntilItsBoundPasses) {
  const auto first = post("/v2/webhooks", seed_body(), admin6_, "orphaned");
  ASSERT_EQ(first.status, 200) << first;
  write_database(server_->database_url(),
                 "UPDATE idempotency_keys SET status = NULL, body = NULL,"
                 " running_until = expires_at");  // as though still running
  expect_error(post("/v2/webhooks", seed_body(), admin6_, "orphaned"), 409, "IdempotencyKeyInUse");
  EXPECT_EQ(webhooks(), "1");
  write_database(server_->database_url(), "UPDATE idempotency_keys SET running_until = 0");
  const auto taken_over = post("/v2/webhooks", seed_body(), admin6_, "orphaned");
  ASSERT_EQ(taken_over.status, 200) << taken_over;
  EXPECT_FALSE(taken_over.header("Idempotent-Replayed"));
  expect_replay_of(post("/v2/webhooks", seed_body(), admin6_, "orphaned"), taken_over);
  EXPECT_EQ(webhooks(), "2");
}

// Two requests with one key at once: the second, arriving while the first waits on a lock the
// test holds, is 409; once the first has answered, it is replayed. The lock is PostgreSQL's row
// lock; SQLite has no lock that holds a request between its claim and its answer.
TEST_F(IdempotencyTest, ASecondRequestWhileTheFirstRunsIs409) {
  if (!on_postgres()) GTEST_SKIP() << "needs a row lock (PostgreSQL)";
  OrganizationLock lock(server_->database_url());
  HttpResponse first;
  std::thread first_request([&] {
    HttpClient client(server_->base_url());
    first = post(client, "/v2/webhooks", seed_body(), admin6_, "racing");
  });
  await_running_claim();
  if (HasFatalFailure()) {
    lock.release();
    return first_request.join();
  }
  expect_error(post("/v2/webhooks", seed_body(), admin6_, "racing"), 409, "IdempotencyKeyInUse");
  expect_error(post("/v2/webhooks", seed_body(7), admin6_, "racing"), 422, "IdempotencyKeyReused");
  lock.release();
  first_request.join();
  ASSERT_EQ(first.status, 200) << first;
  expect_replay_of(post("/v2/webhooks", seed_body(), admin6_, "racing"), first);
  EXPECT_EQ(webhooks(), "1");
}

// Two hookd processes on one PostgreSQL database: a key used on one is in use, then replayed,
// on the other.
TEST_F(IdempotencyTest, TwoProcessesOnOneDatabaseShareTheirKeys) {
  if (!on_postgres()) GTEST_SKIP() << "one process per SQLite database";
  HookdOptions options;
  options.database_url = server_->database_url();
  HookdServer other(options);
  HttpClient other_client(other.base_url());

  const auto first = post("/v2/webhooks", seed_body(), admin6_, "across");
  ASSERT_EQ(first.status, 200) << first;
  expect_replay_of(post(other_client, "/v2/webhooks", seed_body(), admin6_, "across"), first);

  OrganizationLock lock(server_->database_url());
  HttpResponse held;
  std::thread held_request([&] {
    HttpClient client(server_->base_url());
    held = post(client, "/v2/webhooks", seed_body(), admin6_, "across-held");
  });
  await_running_claim();
  if (HasFatalFailure()) {
    lock.release();
    return held_request.join();
  }
  expect_error(post(other_client, "/v2/webhooks", seed_body(), admin6_, "across-held"), 409,
               "IdempotencyKeyInUse");
  lock.release();
  held_request.join();
  ASSERT_EQ(held.status, 200) << held;
  expect_replay_of(post(other_client, "/v2/webhooks", seed_body(), admin6_, "across-held"), held);
  EXPECT_EQ(webhooks(), "2");
}

}  // namespace
}  // namespace hookd::testing
