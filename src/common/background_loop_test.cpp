#include "common/background_loop.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

namespace hookd {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

// Counts the loop's turns; each test says what a turn returns.
class Turns {
 public:
  void count() {
    std::lock_guard lock(mutex_);
    ++turns_;
    changed_.notify_all();
  }
  bool wait_for(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return turns_ >= n; });
  }
  int turns() {
    std::lock_guard lock(mutex_);
    return turns_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int turns_ = 0;
};

TEST(BackgroundLoop, TakesAFirstTurnAtOnceThenOneEachTimeItIsWoken) {
  Turns turns;
  BackgroundLoop loop;
  loop.start([&]() -> std::optional<BackgroundLoop::TimePoint> {
    turns.count();
    if (loop.stopping()) return std::nullopt;
    return BackgroundLoop::TimePoint::max();
  });
  ASSERT_TRUE(turns.wait_for(1));
  loop.wake();
  ASSERT_TRUE(turns.wait_for(2));
  loop.wake();
  ASSERT_TRUE(turns.wait_for(3));
  // Returns once a turn saw stopping() (the third, if still running, or a fourth).
  loop.stop();
  EXPECT_LE(turns.turns(), 4);
}

TEST(BackgroundLoop, TakesTheNextTurnWhenTheStepAskedUnwoken) {
  Turns turns;
  BackgroundLoop loop;
  const auto started = Steady::now();
  loop.start([&]() -> std::optional<BackgroundLoop::TimePoint> {
    turns.count();
    if (loop.stopping()) return std::nullopt;
    return Steady::now() + 20ms;
  });
  ASSERT_TRUE(turns.wait_for(3));
  EXPECT_GE(Steady::now() - started, 40ms);
}

TEST(BackgroundLoop, AFirstTurnCanBeLaterAndStopWakesTheLoop) {
  Turns turns;
  bool saw_stopping = false;
  BackgroundLoop loop;
  loop.start(
      [&]() -> std::optional<BackgroundLoop::TimePoint> {
        saw_stopping = loop.stopping();
        turns.count();
        return std::nullopt;
      },
      BackgroundLoop::TimePoint::max());
  loop.stop();
  EXPECT_EQ(turns.turns(), 1);
  EXPECT_TRUE(saw_stopping);
}

TEST(BackgroundLoop, AWakeDuringATurnBringsAnother) {
  Turns turns;
  BackgroundLoop loop;
  loop.start([&]() -> std::optional<BackgroundLoop::TimePoint> {
    if (turns.turns() == 0) loop.wake();  // as new work arriving while a turn runs
    turns.count();
    if (loop.stopping()) return std::nullopt;
    return BackgroundLoop::TimePoint::max();
  });
  ASSERT_TRUE(turns.wait_for(2));
}

TEST(BackgroundLoop, StopWaitsUntilTheStepHasFinishedItsWork) {
  int left = 5;
  BackgroundLoop loop;
  loop.start([&]() -> std::optional<BackgroundLoop::TimePoint> {
    if (!loop.stopping()) return BackgroundLoop::TimePoint::max();
    // Stopping: one piece of the remaining work per turn, each asking for the next at once.
    if (left == 0) return std::nullopt;
    --left;
    return Steady::now();
  });
  loop.stop();
  EXPECT_EQ(left, 0);
}

TEST(BackgroundLoop, StopWithoutStartReturnsAtOnce) {
  BackgroundLoop loop;
  loop.stop();
  loop.stop();
  EXPECT_TRUE(loop.stopping());
}

}  // namespace
}  // namespace hookd
