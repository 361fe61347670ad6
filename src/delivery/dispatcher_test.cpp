#include "delivery/dispatcher.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "domain/event.hpp"
#include "security/destination_guard.hpp"
#include "security/signature.hpp"
#include "support/manual_clock.hpp"

namespace hookd::delivery {
namespace {

using namespace std::chrono_literals;
using domain::AttemptError;
using domain::AttemptResult;
using domain::DeliveryStatus;
using testing::ManualClock;

constexpr auto kDeadline = 10s;
constexpr const char* kSecret = "bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB";
constexpr const char* kOldSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
// The receivers' address: TEST-NET-1, which the guard of these tests lets through.
constexpr const char* kReceiver = "192.0.2.10";

std::string url_of(domain::WebhookId webhook) {
  return "https://" + std::string(kReceiver) + ":8443/hooks/" + std::to_string(webhook) + "?a=b";
}

// The value of header `name` in "name: value" lines, if present.
std::optional<std::string> header(const std::vector<std::string>& headers, std::string_view name) {
  for (const std::string& h : headers) {
    if (h.size() > name.size() + 1 && h.compare(0, name.size(), name) == 0 &&
        h[name.size()] == ':') {
      return h.substr(name.size() + 2);
    }
  }
  return std::nullopt;
}

AttemptResult answered(int status) {
  AttemptResult r;
  r.status_code = status;
  if (status < 200 || status >= 300) r.fail(AttemptError::kHttpStatus, std::to_string(status));
  return r;
}

AttemptResult timed_out() {
  AttemptResult r;
  r.fail(AttemptError::kTimeout, "the receiver did not answer in time");
  return r;
}

// Waits on `cv` until `ready`, at most kDeadline.
template <typename Ready>
bool wait(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, Ready ready) {
  return cv.wait_for(lock, kDeadline, ready);
}

// The deliveries in memory, claimed and recorded as DeliveryQueue promises: oldest first, one
// lease at a time, at most the cap per webhook counting what the caller holds.
class FakeQueue final : public store::DeliveryQueue {
 public:
  struct Row {
    store::ClaimedDelivery delivery;
    DeliveryStatus status = DeliveryStatus::kPending;
    TimePoint due;
    TimePoint leased_until;
  };
  struct Claim {
    TimePoint now;
    TimePoint lease_until;
    size_t limit = 0;
    size_t per_webhook_cap = 0;
    std::map<domain::WebhookId, size_t> in_flight;
    std::vector<domain::DeliveryId> ids;
  };

  domain::DeliveryId add(domain::WebhookId webhook, TimePoint due, std::string url = "") {
    std::lock_guard lock(mutex_);
    Row row;
    row.delivery.id = static_cast<domain::DeliveryId>(rows_.size() + 1);
    row.delivery.webhook_id = webhook;
    row.delivery.event.id = "evt_0000000" + std::to_string(row.delivery.id) + "abcdefghijklmnop";
    row.delivery.event.organization_id = 6;
    row.delivery.event.device_id = 85;
    row.delivery.event.time = due;
    row.delivery.event.data_json = R"({"n":)" + std::to_string(row.delivery.id) + "}";
    row.delivery.url = url.empty() ? url_of(webhook) : std::move(url);
    row.delivery.hmac_secrets = {kSecret};
    row.delivery.created_at = due;
    row.due = due;
    rows_.push_back(std::move(row));
    return rows_.back().delivery.id;
  }
  // A delivery stored leased until `until`, as an ingestion commit stores one it hands off;
  // returns it as handed off.
  store::ClaimedDelivery add_handed_off(domain::WebhookId webhook, TimePoint now, TimePoint until) {
    const auto id = add(webhook, now);
    std::lock_guard lock(mutex_);
    Row& row = rows_.at(static_cast<size_t>(id - 1));
    row.leased_until = until;
    return row.delivery;
  }
  // Changes a delivery before it is claimed.
  template <typename Change>
  void edit(domain::DeliveryId id, Change change) {
    std::lock_guard lock(mutex_);
    change(rows_.at(static_cast<size_t>(id - 1)).delivery);
  }

  std::vector<store::ClaimedDelivery> claim_due(
      std::string_view, TimePoint now, TimePoint lease_until, size_t limit, size_t per_webhook_cap,
      const std::map<domain::WebhookId, size_t>& in_flight) override {
    std::lock_guard lock(mutex_);
    std::map<domain::WebhookId, size_t> held = in_flight;
    Claim claim{now, lease_until, limit, per_webhook_cap, in_flight, {}};
    std::vector<store::ClaimedDelivery> out;
    for (Row& row : rows_) {
      if (out.size() >= limit) break;
      if (row.status != DeliveryStatus::kPending || row.due > now || row.leased_until > now) {
        continue;
      }
      if (held[row.delivery.webhook_id] >= per_webhook_cap) continue;
      ++held[row.delivery.webhook_id];
      row.leased_until = lease_until;
      claim.ids.push_back(row.delivery.id);
      out.push_back(row.delivery);
    }
    claims_.push_back(std::move(claim));
    changed_.notify_all();
    return out;
  }

  std::optional<TimePoint> next_due() override {
    std::lock_guard lock(mutex_);
    ++next_due_calls_;
    std::optional<TimePoint> next;
    for (const Row& row : rows_) {
      if (row.status != DeliveryStatus::kPending) continue;
      const TimePoint at = std::max(row.due, row.leased_until);
      if (!next || at < *next) next = at;
    }
    return next;
  }

  void record_attempts(const std::vector<store::AttemptRecord>& records, TimePoint,
                       std::chrono::milliseconds) override {
    std::unique_lock lock(mutex_);
    ++record_calls_;
    changed_.notify_all();
    // A write waiting for the database's writer, until the test lets it through.
    wait(changed_, lock, [&] { return !hold_records_; });
    if (fail_records_) throw std::runtime_error("database is locked");
    for (const store::AttemptRecord& r : records) {
      Row& row = rows_.at(static_cast<size_t>(r.delivery_id - 1));
      row.status = r.new_status;
      row.delivery.attempts_made = r.attempt;
      if (r.next_attempt_at) row.due = *r.next_attempt_at;
      row.leased_until = {};
      recorded_.push_back(r);
    }
  }

  void release_all_leases() override {}

  void fail_records(bool fail) {
    std::lock_guard lock(mutex_);
    fail_records_ = fail;
  }
  void hold_records(bool hold) {
    std::lock_guard lock(mutex_);
    hold_records_ = hold;
    changed_.notify_all();
  }

  // Waits until `ready(*this)` holds, with the queue's state under its lock.
  template <typename Ready>
  bool wait_until(Ready ready) {
    std::unique_lock lock(mutex_);
    return wait(changed_, lock, [&] { return ready(*this); });
  }
  bool wait_for_records(size_t n) {
    return wait_until([n](const FakeQueue& q) { return q.recorded_.size() >= n; });
  }

  std::vector<store::AttemptRecord> recorded() {
    std::lock_guard lock(mutex_);
    return recorded_;
  }
  std::vector<Claim> claims() {
    std::lock_guard lock(mutex_);
    return claims_;
  }
  size_t record_calls() {
    std::lock_guard lock(mutex_);
    return record_calls_;
  }
  // The queue's reads so far: claims and next_due calls.
  size_t reads() {
    std::lock_guard lock(mutex_);
    return claims_.size() + next_due_calls_;
  }
  DeliveryStatus status(domain::DeliveryId id) {
    std::lock_guard lock(mutex_);
    return rows_.at(static_cast<size_t>(id - 1)).status;
  }

  // Read under the lock, by wait_until's predicates.
  std::vector<store::AttemptRecord> recorded_;
  std::vector<Claim> claims_;
  size_t record_calls_ = 0;
  size_t next_due_calls_ = 0;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Row> rows_;
  bool fail_records_ = false;
  bool hold_records_ = false;
};

// Answers each request as the test says: at once from its own thread, or held until the test
// releases it. Counts what is outstanding, overall and per URL, at its highest.
class FakeTransport final : public Transport {
 public:
  using Answer = std::function<std::optional<AttemptResult>(const OutgoingRequest&)>;

  FakeTransport() : thread_([this] { run(); }) {}
  ~FakeTransport() override { stop(); }

  // Requests get this answer; an empty one holds them.
  void answer(Answer a) {
    std::lock_guard lock(mutex_);
    answer_ = std::move(a);
  }

  void send(OutgoingRequest request, Callback callback) override {
    std::lock_guard lock(mutex_);
    sent_.push_back(request);
    ++outstanding_;
    const size_t on_url = ++outstanding_by_url_[request.url];
    max_outstanding_ = std::max(max_outstanding_, outstanding_);
    max_outstanding_per_url_ = std::max(max_outstanding_per_url_, on_url);
    std::optional<AttemptResult> result = answer_ ? answer_(request) : std::nullopt;
    if (result) {
      ready_.push_back({std::move(request), std::move(callback), std::move(*result)});
    } else {
      held_.push_back({std::move(request), std::move(callback), {}});
    }
    changed_.notify_all();
  }

  // Answers up to `n` held requests, oldest first, with `result`.
  void release(size_t n, const AttemptResult& result) {
    std::lock_guard lock(mutex_);
    while (n-- > 0 && !held_.empty()) {
      held_.front().result = result;
      ready_.push_back(std::move(held_.front()));
      held_.pop_front();
    }
    changed_.notify_all();
  }
  void release_all(const AttemptResult& result) { release(SIZE_MAX, result); }

  void stop() override {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  bool wait_for_held(size_t n) {
    std::unique_lock lock(mutex_);
    return wait(changed_, lock, [&] { return held_.size() >= n; });
  }
  bool wait_for_sent(size_t n, std::chrono::milliseconds within = kDeadline) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, within, [&] { return sent_.size() >= n; });
  }
  std::vector<OutgoingRequest> sent() {
    std::lock_guard lock(mutex_);
    return sent_;
  }
  size_t held() {
    std::lock_guard lock(mutex_);
    return held_.size();
  }
  size_t max_outstanding() {
    std::lock_guard lock(mutex_);
    return max_outstanding_;
  }
  size_t max_outstanding_per_url() {
    std::lock_guard lock(mutex_);
    return max_outstanding_per_url_;
  }

 private:
  struct Exchange {
    OutgoingRequest request;
    Callback callback;
    AttemptResult result;
  };

  // Calls back from this thread, as a transport does, never from inside send().
  void run() {
    std::unique_lock lock(mutex_);
    while (true) {
      changed_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
      if (ready_.empty()) return;
      Exchange e = std::move(ready_.front());
      ready_.pop_front();
      --outstanding_;
      --outstanding_by_url_[e.request.url];
      lock.unlock();
      e.callback(std::move(e.result));
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  Answer answer_;
  std::vector<OutgoingRequest> sent_;
  std::deque<Exchange> held_;
  std::deque<Exchange> ready_;
  size_t outstanding_ = 0;
  std::map<std::string, size_t> outstanding_by_url_;
  size_t max_outstanding_ = 0;
  size_t max_outstanding_per_url_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

// Answers every name at once with the addresses the test gave it, or as not found.
class FakeResolver final : public Resolver {
 public:
  void resolve(std::string_view host, Callback callback) override {
    Resolution r;
    {
      std::lock_guard lock(mutex_);
      asked_.emplace_back(host);
      if (auto it = answers_.find(std::string(host)); it != answers_.end()) {
        r.addresses = it->second;
      }
    }
    if (r.addresses.empty()) {
      r.error = ResolveError::kNotFound;
      r.detail = "does not resolve";
    }
    callback(std::move(r));
  }
  void add(std::string host, std::vector<security::IpAddress> addresses) {
    std::lock_guard lock(mutex_);
    answers_[std::move(host)] = std::move(addresses);
  }
  std::vector<std::string> asked() {
    std::lock_guard lock(mutex_);
    return asked_;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::vector<security::IpAddress>> answers_;
  std::vector<std::string> asked_;
};

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherOptions options() const {
    DispatcherOptions o;
    o.retry_schedule = {1s, 5s};
    o.secret_header = "x-webhook-secret";
    o.lease = 30s;
    o.max_in_flight = 8;
    o.max_in_flight_per_webhook = 4;
    o.claim_batch = 16;
    // Long enough that only the test wakes the dispatcher: each step happens because it said so.
    o.poll_interval = 1h;
    return o;
  }

  void start(DispatcherOptions o) {
    dispatcher_ = std::make_unique<Dispatcher>(queue_, transport_, resolver_, guard_, std::move(o),
                                               clock_, [] { return 0.0; });
    dispatcher_->start();
  }
  void start() { start(options()); }

  void TearDown() override {
    // Whatever a test left held is answered, so that stop() has nothing to wait for.
    transport_.answer([](const OutgoingRequest&) { return answered(200); });
    transport_.release_all(answered(200));
    auto stopped = std::async(std::launch::async, [this] { dispatcher_.reset(); });
    if (stopped.wait_for(kDeadline) != std::future_status::ready) {
      ADD_FAILURE() << "the dispatcher did not stop: an attempt in flight was never recorded";
      std::abort();  // its thread still uses the fakes: nothing after this would mean anything
    }
  }

  static security::DestinationGuard guard() {
    return security::DestinationGuard({*security::Cidr::parse("192.0.2.0/24")});
  }

  // The queue's reads during a quiet window: whatever the dispatcher does in it, it does
  // unprompted.
  size_t reads_in_a_quiet_window() {
    const size_t before = queue_.reads();
    std::this_thread::sleep_for(100ms);
    return queue_.reads() - before;
  }

  // One slot, as an ingestion commit of one delivery asks for it.
  bool take_slot(domain::WebhookId webhook) { return dispatcher_->take_slots({webhook}).front(); }

  ManualClock clock_;
  FakeQueue queue_;
  FakeTransport transport_;
  FakeResolver resolver_;
  const security::DestinationGuard guard_ = guard();
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherTest, SendsAClaimedDeliverySignedWithItsSecretsAndRecordsTheSuccess) {
  const auto id = queue_.add(3, clock_.now());
  queue_.edit(id, [](store::ClaimedDelivery& d) {
    d.hmac_secrets = {kSecret, kOldSecret};
    d.secret_http = "PoWJFA11inptkbGz";
  });
  transport_.answer([](const OutgoingRequest&) { return answered(204); });
  start();

  ASSERT_TRUE(queue_.wait_for_records(1));
  const auto sent = transport_.sent();
  ASSERT_EQ(sent.size(), 1u);
  const OutgoingRequest& r = sent[0];
  // The URL taken apart, and the literal address connected to without a lookup.
  EXPECT_EQ(r.url, url_of(3));
  EXPECT_EQ(r.host, kReceiver);
  EXPECT_EQ(r.port, 8443);
  EXPECT_EQ(r.target, "/hooks/3?a=b");
  EXPECT_EQ(r.address, security::IpAddress::parse_strict(kReceiver));
  EXPECT_TRUE(resolver_.asked().empty());

  const std::string event_id = "evt_00000001abcdefghijklmnop";
  EXPECT_EQ(header(r.headers, "webhook-id"), event_id);
  EXPECT_EQ(header(r.headers, "x-webhook-attempt"), "1");
  EXPECT_EQ(header(r.headers, "x-webhook-secret"), "PoWJFA11inptkbGz");
  const int64_t now_unix = ManualClock::kStartMicros / 1'000'000;
  EXPECT_EQ(header(r.headers, "webhook-timestamp"), std::to_string(now_unix));
  const auto signature = header(r.headers, "webhook-signature").value_or("");
  // Signed with each secret the claim carried: a receiver on the old one still verifies.
  for (const char* secret : {kSecret, kOldSecret}) {
    EXPECT_EQ(
        security::verify(secret, event_id, std::to_string(now_unix), signature, r.body, now_unix),
        security::VerifyResult::kValid)
        << secret;
  }

  const auto records = queue_.recorded();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].delivery_id, id);
  EXPECT_EQ(records[0].webhook_id, 3);
  EXPECT_EQ(records[0].attempt, 1);
  EXPECT_EQ(records[0].new_status, DeliveryStatus::kSucceeded);
  EXPECT_FALSE(records[0].disable_webhook);
  EXPECT_EQ(records[0].result.status_code, 204);
  // Claimed under the lease the options give.
  const auto claims = queue_.claims();
  ASSERT_FALSE(claims.empty());
  EXPECT_EQ(claims[0].ids, std::vector<domain::DeliveryId>{id});
  EXPECT_EQ(claims[0].now, clock_.now());
  EXPECT_EQ(claims[0].lease_until, clock_.now() + 30s);
}

TEST_F(DispatcherTest, FailedAttemptsAreRetriedOnTheScheduleThenFail) {
  const TimePoint t0 = clock_.now();
  const auto id = queue_.add(3, t0);
  transport_.answer([](const OutgoingRequest&) { return answered(503); });
  start();

  ASSERT_TRUE(queue_.wait_for_records(1));
  auto records = queue_.recorded();
  EXPECT_EQ(records[0].attempt, 1);
  EXPECT_EQ(records[0].new_status, DeliveryStatus::kPending);
  EXPECT_EQ(records[0].next_attempt_at, t0 + 1s);
  EXPECT_EQ(records[0].result.error, "http_status: 503");

  // Not due until the clock says so; then the second attempt goes out.
  clock_.advance(1s);
  dispatcher_->wake();
  ASSERT_TRUE(queue_.wait_for_records(2));
  records = queue_.recorded();
  EXPECT_EQ(records[1].attempt, 2);
  EXPECT_EQ(records[1].new_status, DeliveryStatus::kPending);
  EXPECT_EQ(records[1].next_attempt_at, t0 + 1s + 5s);

  // The schedule has two delays: the third attempt is the last.
  clock_.advance(5s);
  dispatcher_->wake();
  ASSERT_TRUE(queue_.wait_for_records(3));
  records = queue_.recorded();
  EXPECT_EQ(records[2].attempt, 3);
  EXPECT_EQ(records[2].new_status, DeliveryStatus::kFailed);
  EXPECT_FALSE(records[2].next_attempt_at);
  EXPECT_EQ(queue_.status(id), DeliveryStatus::kFailed);

  const auto sent = transport_.sent();
  ASSERT_EQ(sent.size(), 3u);
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(header(sent[i].headers, "x-webhook-attempt"), std::to_string(i + 1));
    // The same bytes each time, signed anew at the attempt's time.
    EXPECT_EQ(sent[i].body, sent[0].body);
  }
  EXPECT_EQ(header(sent[2].headers, "webhook-timestamp"),
            std::to_string(ManualClock::kStartMicros / 1'000'000 + 6));
}

TEST_F(DispatcherTest, AGoneReceiverDisablesItsWebhook) {
  queue_.add(3, clock_.now());
  transport_.answer([](const OutgoingRequest&) { return answered(410); });
  start();
  ASSERT_TRUE(queue_.wait_for_records(1));
  const auto r = queue_.recorded()[0];
  EXPECT_EQ(r.new_status, DeliveryStatus::kFailed);
  EXPECT_TRUE(r.disable_webhook);
  EXPECT_EQ(r.result.status_code, 410);
}

TEST_F(DispatcherTest, NeverHoldsMoreThanItsCapsOverallNorForOneWebhook) {
  auto o = options();
  o.max_in_flight = 4;
  o.max_in_flight_per_webhook = 2;
  // Webhook 1 has the oldest work, and more of it than the whole dispatcher may hold.
  for (int i = 0; i < 8; ++i) queue_.add(1, clock_.now());
  for (int i = 0; i < 3; ++i) queue_.add(2, clock_.now());
  for (int i = 0; i < 3; ++i) queue_.add(3, clock_.now());
  start(o);

  // Every request held: what the dispatcher sends at once is what its caps let through.
  ASSERT_TRUE(transport_.wait_for_held(4));
  std::map<std::string, size_t> by_url;
  for (const auto& r : transport_.sent()) ++by_url[r.url];
  EXPECT_EQ(by_url[url_of(1)], 2u) << "webhook 1 took more than its share";
  EXPECT_EQ(transport_.sent().size(), 4u);

  // Answered one at a time, each freed slot goes to the next delivery, within the caps.
  size_t done = 0;
  while (done < 14) {
    ASSERT_TRUE(transport_.wait_for_held(1));
    transport_.release(1, answered(200));
    ++done;
    ASSERT_TRUE(queue_.wait_for_records(done));
  }
  EXPECT_EQ(transport_.max_outstanding(), 4u);
  EXPECT_EQ(transport_.max_outstanding_per_url(), 2u);
  // Each delivery went out once.
  std::set<std::string> bodies;
  for (const auto& r : transport_.sent()) bodies.insert(r.body);
  EXPECT_EQ(transport_.sent().size(), 14u);
  EXPECT_EQ(bodies.size(), 14u);
  // Each claim asked for no more than the room left, and told the queue what it held.
  for (const auto& c : queue_.claims()) {
    size_t held = 0;
    for (const auto& [webhook, n] : c.in_flight) held += n;
    EXPECT_LE(held + c.limit, 4u);
    EXPECT_EQ(c.per_webhook_cap, 2u);
  }
}

// At its cap, with more due, the dispatcher waits for an answer to free a slot: it does not
// read the queue over and over meanwhile (each read is a database round trip).
TEST_F(DispatcherTest, AtItsCapItLeavesTheQueueAloneUntilASlotFrees) {
  auto o = options();
  o.max_in_flight = 4;
  for (int i = 0; i < 8; ++i) queue_.add(static_cast<domain::WebhookId>(i + 1), clock_.now());
  start(o);
  ASSERT_TRUE(transport_.wait_for_held(4));
  EXPECT_LE(reads_in_a_quiet_window(), 1u) << "the queue was read while no slot was free";

  // An answer frees a slot: the next due delivery goes out.
  transport_.release(1, answered(200));
  ASSERT_TRUE(transport_.wait_for_sent(5));
  ASSERT_TRUE(transport_.wait_for_held(4));
}

// The same for one webhook at its own cap, with room left overall: its due work stays in the
// queue, and the dispatcher does not look for it again until the webhook frees a slot.
TEST_F(DispatcherTest, AWebhookAtItsCapLeavesTheQueueAloneUntilItFreesASlot) {
  auto o = options();
  o.max_in_flight = 8;
  o.max_in_flight_per_webhook = 2;
  for (int i = 0; i < 5; ++i) queue_.add(1, clock_.now());
  start(o);
  ASSERT_TRUE(transport_.wait_for_held(2));
  EXPECT_LE(reads_in_a_quiet_window(), 2u) << "the queue was read while the webhook was at its cap";

  transport_.release(1, answered(200));
  ASSERT_TRUE(transport_.wait_for_sent(3));
  ASSERT_TRUE(transport_.wait_for_held(2));
}

// A webhook's backlog behind its cap drains without waiting for a poll (which is an hour
// here), however the answers fall between the claims: each slot it frees, during a claim or
// after, brings the next claim.
TEST_F(DispatcherTest, AWebhookAtItsCapDrainsItsBacklogWithoutAPoll) {
  auto o = options();
  o.max_in_flight = 8;
  o.max_in_flight_per_webhook = 2;
  constexpr size_t kBacklog = 200;
  for (size_t i = 0; i < kBacklog; ++i) queue_.add(1, clock_.now());
  transport_.answer([](const OutgoingRequest&) { return answered(200); });
  start(o);
  ASSERT_TRUE(queue_.wait_for_records(kBacklog))
      << queue_.recorded().size() << " of " << kBacklog << " sent before the dispatcher waited";
  EXPECT_EQ(transport_.max_outstanding_per_url(), 2u);
}

TEST_F(DispatcherTest, ARefusedDestinationIsRecordedWithoutBeingSent) {
  // A private address, a plain-HTTP URL, and a name that resolves to a private address.
  const auto privately = queue_.add(1, clock_.now(), "https://10.0.0.7/hook");
  const auto plain = queue_.add(2, clock_.now(), "http://192.0.2.10/hook");
  const auto named = queue_.add(3, clock_.now(), "https://inside.example/hook");
  resolver_.add("inside.example", {*security::IpAddress::parse_strict("10.1.2.3")});
  transport_.answer([](const OutgoingRequest&) { return answered(200); });
  start();

  ASSERT_TRUE(queue_.wait_for_records(3));
  std::map<domain::DeliveryId, store::AttemptRecord> by_id;
  for (const auto& r : queue_.recorded()) by_id[r.delivery_id] = r;
  EXPECT_EQ(by_id[privately].result.error_class, AttemptError::kForbiddenDestination);
  EXPECT_TRUE(by_id[privately].result.error.value_or("").starts_with("forbidden_destination: "));
  EXPECT_EQ(by_id[plain].result.error_class, AttemptError::kInvalidUrl);
  EXPECT_TRUE(by_id[plain].result.error.value_or("").starts_with("invalid_url: "));
  EXPECT_EQ(by_id[named].result.error_class, AttemptError::kForbiddenDestination);
  EXPECT_EQ(by_id[named].result.error,
            "forbidden_destination: inside.example resolves to a non-public address");
  for (const auto& [id, r] : by_id) {
    EXPECT_FALSE(r.result.status_code);
    // A refusal is an attempt like any other: retried on the schedule.
    EXPECT_EQ(r.new_status, DeliveryStatus::kPending);
  }
  EXPECT_TRUE(transport_.sent().empty());
}

TEST_F(DispatcherTest, AHostNameIsSentToTheAddressItResolvedTo) {
  const auto found = queue_.add(1, clock_.now(), "https://receiver.example/hook");
  const auto missing = queue_.add(2, clock_.now(), "https://missing.example/hook");
  resolver_.add("receiver.example", {*security::IpAddress::parse_strict("192.0.2.44")});
  transport_.answer([](const OutgoingRequest&) { return answered(200); });
  start();

  ASSERT_TRUE(queue_.wait_for_records(2));
  const auto sent = transport_.sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].host, "receiver.example");
  EXPECT_EQ(sent[0].address, security::IpAddress::parse_strict("192.0.2.44"));
  std::map<domain::DeliveryId, store::AttemptRecord> by_id;
  for (const auto& r : queue_.recorded()) by_id[r.delivery_id] = r;
  EXPECT_EQ(by_id[found].new_status, DeliveryStatus::kSucceeded);
  EXPECT_EQ(by_id[missing].result.error_class, AttemptError::kDns);
  EXPECT_EQ(by_id[missing].result.error, "dns: missing.example does not resolve");
}

TEST_F(DispatcherTest, StopWaitsForTheAttemptsInFlightAndRecordsThem) {
  for (int i = 0; i < 3; ++i) queue_.add(static_cast<domain::WebhookId>(i + 1), clock_.now());
  start();
  ASSERT_TRUE(transport_.wait_for_held(3));

  std::atomic<bool> returned{false};
  std::promise<void> stopping;
  std::promise<size_t> recorded_when_stopped;
  std::thread stopper([&] {
    stopping.set_value();
    dispatcher_->stop();
    recorded_when_stopped.set_value(queue_.recorded().size());
    returned = true;
  });
  stopping.get_future().wait();
  EXPECT_FALSE(returned.load()) << "stop() returned with attempts in flight";
  transport_.release(1, answered(200));
  transport_.release(1, answered(500));
  transport_.release(1, timed_out());
  auto recorded = recorded_when_stopped.get_future();
  ASSERT_EQ(recorded.wait_for(kDeadline), std::future_status::ready);
  stopper.join();
  // Every attempt that was in flight is recorded by the time stop() returns.
  EXPECT_EQ(recorded.get(), 3u);
  EXPECT_EQ(transport_.sent().size(), 3u);
}

TEST_F(DispatcherTest, AFailedRecordDoesNotSendTheSameDeliveriesAgainBeforeTheirLeasesEnd) {
  auto o = options();
  o.max_in_flight = 1;
  const auto first = queue_.add(1, clock_.now());
  queue_.fail_records(true);
  transport_.answer([](const OutgoingRequest&) { return answered(200); });
  start(o);
  ASSERT_TRUE(queue_.wait_until([](const FakeQueue& q) { return q.record_calls_ >= 1; }));

  // The slot is free again (the one slot there is), but the delivery stays leased: the next
  // claim, which finds new work, does not send it again.
  const auto second = queue_.add(1, clock_.now());
  dispatcher_->wake();
  ASSERT_TRUE(transport_.wait_for_sent(2));
  ASSERT_TRUE(queue_.wait_until([](const FakeQueue& q) { return q.record_calls_ >= 2; }));
  auto sent = transport_.sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(header(sent[0].headers, "webhook-id"),
            "evt_0000000" + std::to_string(first) + "abcdefghijklmnop");
  EXPECT_EQ(header(sent[1].headers, "webhook-id"),
            "evt_0000000" + std::to_string(second) + "abcdefghijklmnop");

  // Once the leases have run out, both are sent again and recorded: at least once.
  queue_.fail_records(false);
  clock_.advance(31s);
  dispatcher_->wake();
  ASSERT_TRUE(queue_.wait_for_records(2));
  EXPECT_EQ(transport_.sent().size(), 4u);
  EXPECT_EQ(queue_.status(first), DeliveryStatus::kSucceeded);
  EXPECT_EQ(queue_.status(second), DeliveryStatus::kSucceeded);
}

// A record waiting for the database holds up no claim; but what was answered and not yet
// recorded is bounded: no more than max_in_flight in flight and max_in_flight waiting to be
// recorded, whatever is due.
TEST_F(DispatcherTest, ARecordWaitingForTheDatabaseHoldsUpNoClaimWithinItsBound) {
  auto o = options();
  o.max_in_flight = 2;
  for (int i = 0; i < 20; ++i) queue_.add(static_cast<domain::WebhookId>(i + 1), clock_.now());
  queue_.hold_records(true);
  start(o);
  ASSERT_TRUE(transport_.wait_for_held(2));

  // One answer: its record waits for the database, and the freed slot is claimed meanwhile.
  transport_.release(1, answered(200));
  ASSERT_TRUE(queue_.wait_until([](const FakeQueue& q) { return q.record_calls_ >= 1; }));
  ASSERT_TRUE(transport_.wait_for_sent(3)) << "a claim waited for the record";

  // Every answer in: two wait to be recorded, two are in flight, and nothing more goes out
  // however long the record takes.
  transport_.answer([](const OutgoingRequest&) { return answered(200); });
  transport_.release_all(answered(200));
  EXPECT_FALSE(transport_.wait_for_sent(5, 300ms))
      << transport_.sent().size() << " sent with the records held";

  queue_.hold_records(false);
  ASSERT_TRUE(queue_.wait_for_records(20));
  EXPECT_EQ(transport_.sent().size(), 20u);
}

// A delivery handed off by ingestion goes out without a claim, under the lease it was stored
// with, and is recorded like a claimed one.
TEST_F(DispatcherTest, AHandedOffDeliveryIsSentWithoutAClaim) {
  transport_.answer([](const OutgoingRequest&) { return answered(200); });
  start();
  // The first turn claims (nothing is due), and then nothing asks for another.
  ASSERT_TRUE(queue_.wait_until([](const FakeQueue& q) { return q.claims_.size() >= 1; }));
  const size_t claims = queue_.claims().size();

  ASSERT_TRUE(take_slot(3));
  const auto d = queue_.add_handed_off(3, clock_.now(), clock_.now() + 30s);
  dispatcher_->hand_off({d}, clock_.now() + 30s, false);
  ASSERT_TRUE(queue_.wait_for_records(1));
  const auto records = queue_.recorded();
  EXPECT_EQ(records[0].delivery_id, d.id);
  EXPECT_EQ(records[0].new_status, DeliveryStatus::kSucceeded);
  ASSERT_EQ(transport_.sent().size(), 1u);
  EXPECT_EQ(header(transport_.sent()[0].headers, "webhook-id"), d.event.id);
  EXPECT_EQ(queue_.claims().size(), claims) << "a claim looked for what was handed off";
}

// Slots for handed-off work keep the caps: of one webhook no more waiting than its cap beyond
// what it has in flight, no more waiting in all than max_waiting, and never more in flight
// than the caps allow; a slot given back is free again.
TEST_F(DispatcherTest, TheHandOffKeepsTheCaps) {
  auto o = options();
  o.max_in_flight = 4;
  o.max_in_flight_per_webhook = 2;
  o.max_waiting = 5;
  queue_.add(1, clock_.now());
  start(o);
  ASSERT_TRUE(transport_.wait_for_held(1));  // one of webhook 1's in flight

  for (int i = 0; i < 3; ++i) EXPECT_TRUE(take_slot(1));
  EXPECT_FALSE(take_slot(1)) << "webhook 1 held more than twice its cap";
  EXPECT_TRUE(take_slot(2));
  EXPECT_TRUE(take_slot(2));
  EXPECT_FALSE(take_slot(3)) << "more waiting than max_waiting";
  dispatcher_->give_back({2});
  EXPECT_TRUE(take_slot(3));

  // Handed off, what the caps let start goes out; the rest waits for a slot.
  const TimePoint until = clock_.now() + 30s;
  std::vector<store::ClaimedDelivery> handed;
  for (domain::WebhookId w : {1, 1, 1, 2, 3}) {
    handed.push_back(queue_.add_handed_off(w, clock_.now(), until));
  }
  dispatcher_->hand_off(handed, until, false);
  ASSERT_TRUE(transport_.wait_for_held(4));
  // Each answer frees a slot for a delivery that waits.
  transport_.answer([](const OutgoingRequest&) { return answered(200); });
  transport_.release_all(answered(200));
  ASSERT_TRUE(queue_.wait_for_records(6));
  EXPECT_EQ(transport_.max_outstanding(), 4u);
  EXPECT_EQ(transport_.max_outstanding_per_url(), 2u);
  EXPECT_EQ(transport_.sent().size(), 6u);
}

// Webhooks with handed-off work waiting take turns at the free slots: a webhook with a long
// backlog does not hold back one whose work arrived after it.
TEST_F(DispatcherTest, WebhooksWithWorkWaitingTakeTurnsAtTheSlots) {
  auto o = options();
  o.max_in_flight = 1;
  start(o);
  ASSERT_TRUE(queue_.wait_until([](const FakeQueue& q) { return q.claims_.size() >= 1; }));
  const TimePoint until = clock_.now() + 30s;
  std::vector<store::ClaimedDelivery> handed;
  for (domain::WebhookId w : {1, 1, 1, 2}) {
    ASSERT_TRUE(take_slot(w));
    handed.push_back(queue_.add_handed_off(w, clock_.now(), until));
  }
  dispatcher_->hand_off(handed, until, false);
  for (size_t n = 1; n <= 4; ++n) {
    ASSERT_TRUE(transport_.wait_for_held(1));
    transport_.release(1, answered(200));
    ASSERT_TRUE(queue_.wait_for_records(n));
  }
  std::vector<std::string> urls;
  for (const auto& r : transport_.sent()) urls.push_back(r.url);
  EXPECT_EQ(urls, (std::vector<std::string>{url_of(1), url_of(2), url_of(1), url_of(1)}));
}

// A webhook a claim passed over at its cap, with handed-off work waiting beyond it: the slots
// its answers free go to that work, and once it holds less than its cap the next claim takes
// what the queue still has, without a poll (fails if a freed slot does not mark the queue).
TEST_F(DispatcherTest, APassedOverWebhookWithHandedOffWorkDrainsBothWithoutAPoll) {
  auto o = options();
  o.max_in_flight = 8;
  o.max_in_flight_per_webhook = 2;
  std::vector<domain::DeliveryId> queued;
  for (int i = 0; i < 3; ++i) queued.push_back(queue_.add(1, clock_.now()));
  start(o);
  ASSERT_TRUE(transport_.wait_for_held(2));  // the claim took two and passed the third over
  const TimePoint until = clock_.now() + 30s;
  std::vector<store::ClaimedDelivery> handed;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(take_slot(1));
    handed.push_back(queue_.add_handed_off(1, clock_.now(), until));
  }
  EXPECT_FALSE(take_slot(1)) << "webhook 1 held more than twice its cap";
  dispatcher_->hand_off(handed, until, false);
  transport_.answer([](const OutgoingRequest&) { return answered(200); });
  transport_.release_all(answered(200));
  ASSERT_TRUE(queue_.wait_for_records(5))
      << queue_.recorded().size() << " of 5 recorded before the dispatcher waited";
  EXPECT_EQ(transport_.max_outstanding_per_url(), 2u);
  std::set<domain::DeliveryId> recorded;
  for (const auto& r : queue_.recorded()) recorded.insert(r.delivery_id);
  for (const auto id : queued) EXPECT_TRUE(recorded.contains(id)) << id;
  for (const auto& d : handed) EXPECT_TRUE(recorded.contains(d.id)) << d.id;
}

// What a commit left pending for want of a slot is claimed at once, without waiting for a poll.
TEST_F(DispatcherTest, WorkAHandOffLeftPendingIsClaimed) {
  transport_.answer([](const OutgoingRequest&) { return answered(200); });
  start();
  ASSERT_TRUE(queue_.wait_until([](const FakeQueue& q) { return q.claims_.size() >= 1; }));
  const auto id = queue_.add(5, clock_.now());
  dispatcher_->hand_off({}, clock_.now() + 30s, true);
  ASSERT_TRUE(queue_.wait_for_records(1));
  EXPECT_EQ(queue_.recorded()[0].delivery_id, id);
}

// Handed-off work that waited for a slot until less of its lease is left than an attempt can
// take is not sent: it is left to its lease, and a claim takes it once the lease has run out.
TEST_F(DispatcherTest, HandedOffWorkThatWaitedTooLongForASlotIsLeftForAClaim) {
  auto o = options();
  o.max_in_flight = 1;
  o.longest_attempt = 15s;
  queue_.add(1, clock_.now());
  start(o);
  ASSERT_TRUE(transport_.wait_for_held(1));
  const TimePoint until = clock_.now() + 30s;
  ASSERT_TRUE(take_slot(2));
  const auto late = queue_.add_handed_off(2, clock_.now(), until);
  dispatcher_->hand_off({late}, until, false);

  clock_.advance(16s);
  transport_.answer([](const OutgoingRequest&) { return answered(200); });
  transport_.release(1, answered(200));
  ASSERT_TRUE(queue_.wait_for_records(1));
  clock_.advance(15s);  // the lease has run out
  dispatcher_->wake();
  ASSERT_TRUE(queue_.wait_for_records(2));
  EXPECT_EQ(queue_.recorded()[1].delivery_id, late.id);
  EXPECT_EQ(transport_.sent().size(), 2u);
  bool claimed = false;
  for (const auto& c : queue_.claims()) {
    claimed = claimed || std::count(c.ids.begin(), c.ids.end(), late.id) > 0;
  }
  EXPECT_TRUE(claimed) << "it was sent from the hand-off with 14 s of its lease left";
}

// Once stopped, the dispatcher grants no slot, and what a commit already had slots for is not
// sent: it stays leased in the queue, for a claim once its lease runs out.
TEST_F(DispatcherTest, AStoppedDispatcherTakesNoNewWork) {
  start();
  ASSERT_TRUE(queue_.wait_until([](const FakeQueue& q) { return q.claims_.size() >= 1; }));
  ASSERT_TRUE(take_slot(3));
  const auto d = queue_.add_handed_off(3, clock_.now(), clock_.now() + 30s);
  dispatcher_->stop();

  EXPECT_FALSE(take_slot(4)) << "a slot was granted after stop";
  dispatcher_->hand_off({d}, clock_.now() + 30s, false);
  EXPECT_TRUE(transport_.sent().empty());
  EXPECT_TRUE(queue_.recorded().empty());
}

}  // namespace
}  // namespace hookd::delivery
