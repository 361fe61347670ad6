#include "common/work_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace hookd {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueue, RefusesInsteadOfWaitingWhenFull) {
  WorkQueue queue(1, 2);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  std::atomic<int> ran{0};
  ASSERT_TRUE(queue.try_post([&] {
    started.set_value();
    released.wait();
    ++ran;
  }));
  ASSERT_EQ(started.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(queue.try_post([&] { ++ran; }));
  EXPECT_TRUE(queue.try_post([&] { ++ran; }));
  EXPECT_FALSE(queue.try_post([&] { ++ran; }));  // one running, two queued: full
  release.set_value();
  queue.stop();  // runs what was queued
  EXPECT_EQ(ran.load(), 3);
  EXPECT_FALSE(queue.try_post([] {}));
}

TEST(WorkQueue, ATaskThatThrowsDoesNotEndItsThread) {
  WorkQueue queue(1, 4);
  ASSERT_TRUE(queue.try_post([] { throw std::runtime_error("boom"); }));
  std::promise<void> done;
  ASSERT_TRUE(queue.try_post([&] { done.set_value(); }));
  EXPECT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
}

}  // namespace
}  // namespace hookd
