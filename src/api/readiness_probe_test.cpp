#include "api/readiness_probe.hpp"

#include <gtest/gtest.h>

#include <future>

namespace hookd::api {
namespace {

using namespace std::chrono_literals;

std::future<bool> check(ReadinessProbe& probe) {
  auto promise = std::make_shared<std::promise<bool>>();
  auto future = promise->get_future();
  probe.check([promise](bool ready) { promise->set_value(ready); });
  return future;
}

TEST(ReadinessProbe, AnswersThePingsResult) {
  std::atomic<bool> up{true};
  ReadinessProbe probe([&] { return up.load(); }, 2s);
  auto first = check(probe);
  ASSERT_EQ(first.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(first.get());
  up = false;
  auto second = check(probe);
  ASSERT_EQ(second.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(second.get());
}

TEST(ReadinessProbe, AHungPingIsNotReadyAtTheDeadline) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ReadinessProbe probe(
      [released] {
        released.wait();
        return true;
      },
      100ms);
  const auto started = std::chrono::steady_clock::now();
  auto answer = check(probe);
  ASSERT_EQ(answer.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(answer.get());
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 100ms);
  EXPECT_LT(took, 2s);
  release.set_value();
  probe.stop();
}

TEST(ReadinessProbe, TooManyWaitingChecksAreAnsweredAtOnce) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ReadinessProbe probe(
      [released] {
        released.wait();
        return true;
      },
      10s, 2);
  auto a = check(probe);
  auto b = check(probe);
  auto c = check(probe);
  ASSERT_EQ(c.wait_for(0s), std::future_status::ready);
  EXPECT_FALSE(c.get());
  release.set_value();
  ASSERT_EQ(a.wait_for(10s), std::future_status::ready);
  ASSERT_EQ(b.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(a.get());
  EXPECT_TRUE(b.get());
}

}  // namespace
}  // namespace hookd::api
