#include "delivery/resolver.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "support/manual_clock.hpp"
#include "support/stub_dns_server.hpp"

namespace hookd::delivery {
namespace {

using namespace std::chrono_literals;
using testing::ManualClock;
using testing::StubDnsServer;

// What an attempt's log carries when its lookup failed so.
domain::AttemptResult failed_attempt(std::string_view host, const Resolution& r) {
  domain::AttemptResult result;
  fail_lookup(result, host, r);
  return result;
}

// Collects answers from whichever thread gives them.
class Answers {
 public:
  Resolver::Callback callback() {
    return [this](Resolution r) {
      std::lock_guard lock(mutex_);
      answers_.push_back(std::move(r));
      arrived_.notify_all();
    };
  }
  bool wait_for(size_t count, std::chrono::milliseconds deadline = 5s) {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, deadline, [&] { return answers_.size() >= count; });
  }
  size_t size() {
    std::lock_guard lock(mutex_);
    return answers_.size();
  }
  std::vector<Resolution> all() {
    std::lock_guard lock(mutex_);
    return answers_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Resolution> answers_;
};

class ResolverTest : public ::testing::Test {
 protected:
  AresResolver& resolver(std::chrono::milliseconds timeout = 2s, size_t max_pending = 4'096,
                         size_t max_cache_entries = 10'000) {
    ResolverOptions options;
    options.timeout = timeout;
    options.servers = {dns_.address()};
    options.max_pending = max_pending;
    options.max_cache_entries = max_cache_entries;
    resolver_ = std::make_unique<AresResolver>(options, clock_);
    return *resolver_;
  }

  // One lookup, waited for.
  Resolution lookup(std::string_view host) {
    Answers answers;
    resolver_->resolve(host, answers.callback());
    EXPECT_TRUE(answers.wait_for(1)) << host;
    auto all = answers.all();
    return all.empty() ? Resolution{} : all.front();
  }

  // True when resolve() answers on the calling thread, before it returns: from the cache,
  // without a query. Judged by the thread, not by whether an answer has arrived when resolve()
  // returns: a caller descheduled for a moment could otherwise see the resolver thread's answer
  // to a real query and take it for a cached one.
  bool answered_at_once(std::string_view host) {
    Answers answers;
    const auto caller = std::this_thread::get_id();
    std::atomic<bool> on_caller{false};
    auto record = answers.callback();
    resolver_->resolve(host, [&, caller](Resolution r) {
      if (std::this_thread::get_id() == caller) on_caller = true;
      record(std::move(r));
    });
    EXPECT_TRUE(answers.wait_for(1)) << host;  // the callback must not outlive `answers`
    return on_caller;
  }

  StubDnsServer dns_;
  ManualClock clock_;
  std::unique_ptr<AresResolver> resolver_;
};

std::vector<std::string> texts(const Resolution& r) {
  std::vector<std::string> out;
  for (const auto& a : r.addresses) out.push_back(a.to_string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(ResolverTest, AnswersWithEveryAAndAaaaAddress) {
  dns_.answer("hooks.example.test", {"192.0.2.7", "192.0.2.8", "2001:db8::5"});
  resolver();
  const Resolution r = lookup("Hooks.Example.Test.");
  EXPECT_EQ(r.error, ResolveError::kNone) << r.detail;
  EXPECT_EQ(texts(r), (std::vector<std::string>{"192.0.2.7", "192.0.2.8", "2001:db8::5"}));
}

TEST_F(ResolverTest, IpLiteralsNeedNoQuery) {
  resolver();
  EXPECT_TRUE(answered_at_once("192.0.2.1"));
  EXPECT_TRUE(answered_at_once("2001:db8::1"));
  EXPECT_EQ(dns_.queries(), 0u);
}

TEST_F(ResolverTest, CachesAnAnswerForItsTtl) {
  dns_.answer("cached.test", {"192.0.2.1"}, 30);
  resolver();
  ASSERT_EQ(lookup("cached.test").error, ResolveError::kNone);
  const size_t asked = dns_.queries("cached.test");
  EXPECT_GE(asked, 1u);
  clock_.advance(29s);
  EXPECT_TRUE(answered_at_once("cached.test"));
  EXPECT_EQ(dns_.queries("cached.test"), asked);
  clock_.advance(2s);
  EXPECT_FALSE(answered_at_once("cached.test"));
  ASSERT_EQ(lookup("cached.test").error, ResolveError::kNone);
  EXPECT_GT(dns_.queries("cached.test"), asked);
}

// At the bound, the answer that would expire soonest makes room for the new one.
TEST_F(ResolverTest, TheCacheHoldsAtMostItsBoundDroppingTheSoonestToExpire) {
  dns_.answer("short.test", {"192.0.2.1"}, 30);
  dns_.answer("long.test", {"192.0.2.2"}, 300);
  dns_.answer("third.test", {"192.0.2.3"}, 200);
  resolver(2s, 4'096, 2);
  for (const char* name : {"short.test", "long.test", "third.test"}) {
    ASSERT_EQ(lookup(name).error, ResolveError::kNone) << name;
  }
  // Counted by the queries the server sees: a lookup answered from the cache asks nothing.
  const size_t asked = dns_.queries();
  EXPECT_TRUE(answered_at_once("long.test"));
  EXPECT_TRUE(answered_at_once("third.test"));
  EXPECT_EQ(dns_.queries(), asked);
  ASSERT_EQ(lookup("short.test").error, ResolveError::kNone);
  EXPECT_GT(dns_.queries(), asked) << "short.test was still cached";
}

TEST_F(ResolverTest, KeepsTtlsWithinBounds) {
  dns_.answer("zero.test", {"192.0.2.1"}, 0);
  dns_.answer("long.test", {"192.0.2.2"}, 86'400);
  resolver();
  ASSERT_EQ(lookup("zero.test").error, ResolveError::kNone);
  ASSERT_EQ(lookup("long.test").error, ResolveError::kNone);
  // A TTL of 0 still spares the server for a second; a day's TTL is kept five minutes.
  EXPECT_TRUE(answered_at_once("zero.test"));
  clock_.advance(1'100ms);
  EXPECT_FALSE(answered_at_once("zero.test"));
  EXPECT_TRUE(answered_at_once("long.test"));
  clock_.advance(5min);
  EXPECT_FALSE(answered_at_once("long.test"));
}

TEST_F(ResolverTest, NameThatIsNeverAnsweredTimesOut) {
  dns_.never_answer("hang.test");
  resolver(300ms);
  const auto started = std::chrono::steady_clock::now();
  const Resolution r = lookup("hang.test");
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(r.error, ResolveError::kTimeout);
  EXPECT_EQ(failed_attempt("hang.test", r).error, "dns: hang.test did not resolve within 300ms");
  EXPECT_EQ(failed_attempt("hang.test", r).error_class, domain::AttemptError::kDns);
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 1500ms);
}

TEST_F(ResolverTest, CachesFailuresBriefly) {
  dns_.servfail("broken.test");
  resolver();
  const Resolution missing = lookup("missing.test");
  EXPECT_EQ(missing.error, ResolveError::kNotFound);
  EXPECT_EQ(failed_attempt("missing.test", missing)
                .error.value_or("")
                .rfind("dns: missing.test does not resolve", 0),
            0u);
  const Resolution broken = lookup("broken.test");
  EXPECT_EQ(broken.error, ResolveError::kServerFailure) << broken.detail;
  const size_t asked_missing = dns_.queries("missing.test");
  const size_t asked_broken = dns_.queries("broken.test");

  EXPECT_TRUE(answered_at_once("missing.test"));
  EXPECT_TRUE(answered_at_once("broken.test"));
  EXPECT_EQ(dns_.queries("missing.test"), asked_missing);
  EXPECT_EQ(dns_.queries("broken.test"), asked_broken);

  // Once the negative entry is gone the name is asked again, and may resolve now.
  dns_.answer("missing.test", {"192.0.2.9"});
  clock_.advance(6s);
  EXPECT_EQ(texts(lookup("missing.test")), std::vector<std::string>{"192.0.2.9"});
}

TEST_F(ResolverTest, TimeoutsAreCachedToo) {
  dns_.never_answer("hang.test");
  resolver(200ms);
  EXPECT_EQ(lookup("hang.test").error, ResolveError::kTimeout);
  EXPECT_TRUE(answered_at_once("hang.test"));
  clock_.advance(6s);
  EXPECT_FALSE(answered_at_once("hang.test"));
}

TEST_F(ResolverTest, ManyConcurrentLookupsEachAnsweredOnce) {
  constexpr int kNames = 100;
  for (int i = 0; i < kNames; ++i) {
    dns_.answer("n" + std::to_string(i) + ".test", {"192.0.2." + std::to_string(i % 250)});
  }
  dns_.answer("shared.test", {"192.0.2.250"});
  resolver();
  Answers answers;
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (int i = t; i < kNames; i += 4) {
        resolver_->resolve("n" + std::to_string(i) + ".test", answers.callback());
      }
      for (int i = 0; i < 25; ++i) resolver_->resolve("shared.test", answers.callback());
    });
  }
  for (auto& c : callers) c.join();
  ASSERT_TRUE(answers.wait_for(kNames + 100));
  for (const Resolution& r : answers.all()) {
    EXPECT_EQ(r.error, ResolveError::kNone) << r.detail;
    EXPECT_EQ(r.addresses.size(), 1u);
  }
  EXPECT_EQ(answers.size(), size_t{kNames + 100});
  // One name looked up by many at once is asked once (an A and an AAAA query), not 100 times.
  EXPECT_LE(dns_.queries("shared.test"), 4u);
}

TEST_F(ResolverTest, NamesThatHangBlockNeitherTheCallerNorOtherNames) {
  for (int i = 0; i < 50; ++i) dns_.never_answer("hang" + std::to_string(i) + ".test");
  dns_.answer("healthy.test", {"192.0.2.1"});
  resolver(2s);
  Answers hanging;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i)
    resolver_->resolve("hang" + std::to_string(i) + ".test", hanging.callback());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 100ms);

  Answers healthy;
  resolver_->resolve("healthy.test", healthy.callback());
  ASSERT_TRUE(healthy.wait_for(1, 500ms));
  EXPECT_EQ(healthy.all().front().error, ResolveError::kNone);
  EXPECT_EQ(hanging.size(), 0u);  // still waiting for their deadline
  ASSERT_TRUE(hanging.wait_for(50, 4s));
  for (const Resolution& r : hanging.all()) EXPECT_EQ(r.error, ResolveError::kTimeout);
}

TEST_F(ResolverTest, LookupsBeyondTheBoundFailAtOnce) {
  for (const char* name : {"a.test", "b.test", "c.test"}) dns_.never_answer(name);
  resolver(300ms, 2);
  Answers waiting;
  resolver_->resolve("a.test", waiting.callback());
  resolver_->resolve("b.test", waiting.callback());
  // The third meets the bound in the queue or among the names being looked up, either way
  // before the others' timeout.
  Answers refused;
  resolver_->resolve("c.test", refused.callback());
  ASSERT_TRUE(refused.wait_for(1, 1s));
  EXPECT_EQ(refused.all().front().error, ResolveError::kOverloaded);
  EXPECT_EQ(waiting.size(), 0u);
  ASSERT_TRUE(waiting.wait_for(2));
  for (const Resolution& r : waiting.all()) EXPECT_EQ(r.error, ResolveError::kTimeout);
}

TEST_F(ResolverTest, StoppingAnswersEveryoneStillWaiting) {
  dns_.never_answer("hang.test");
  resolver(10s);
  Answers answers;
  resolver_->resolve("hang.test", answers.callback());
  resolver_.reset();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers.all().front().error, ResolveError::kFailed);
}

TEST(NameServerTest, ParsesAddressAndPort) {
  const auto plain = parse_name_server("192.0.2.53");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->first.to_string(), "192.0.2.53");
  EXPECT_EQ(plain->second, 53);
  const auto with_port = parse_name_server("127.0.0.1:5353");
  ASSERT_TRUE(with_port);
  EXPECT_EQ(with_port->second, 5353);
  const auto v6 = parse_name_server("[2001:db8::53]:5300");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->first.to_string(), "2001:db8::53");
  EXPECT_EQ(v6->second, 5300);
  EXPECT_TRUE(parse_name_server("2001:db8::53"));
  for (const char* bad : {"", "dns.example", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000",
                          "[2001:db8::53]5300", "127.1", "127.0.0.1:53x"}) {
    EXPECT_FALSE(parse_name_server(bad)) << bad;
  }
}

}  // namespace
}  // namespace hookd::delivery
