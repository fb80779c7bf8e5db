#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "kube/work_queue.hpp"

namespace sso::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

const SteadyTime kStart = SteadyTime{} + std::chrono::hours(1);

TEST(RateLimiter, DefaultsAreClientGoDefaultControllerRateLimiter) {
  const RateLimiter::Options options;
  EXPECT_EQ(options.base_delay, milliseconds(5));
  EXPECT_EQ(options.max_delay, seconds(1000));
  EXPECT_EQ(options.qps, 10);
  EXPECT_EQ(options.burst, 100);
}

TEST(RateLimiter, BacksOffExponentiallyPerKey) {
  RateLimiter limiter;
  EXPECT_EQ(limiter.when("a", kStart), milliseconds(5));
  EXPECT_EQ(limiter.when("a", kStart), milliseconds(10));
  EXPECT_EQ(limiter.when("a", kStart), milliseconds(20));
  EXPECT_EQ(limiter.when("a", kStart), milliseconds(40));
  EXPECT_EQ(limiter.num_requeues("a"), 4);
  // Another key has its own count.
  EXPECT_EQ(limiter.when("b", kStart), milliseconds(5));
  EXPECT_EQ(limiter.num_requeues("b"), 1);
}

TEST(RateLimiter, CapsAtMaxDelay) {
  RateLimiter limiter;
  nanoseconds last{0};
  // 5 ms * 2^18 > 1000 s; 30 failures stay within the bucket's burst of 100.
  for (int i = 0; i < 30; ++i) last = limiter.when("a", kStart);
  EXPECT_EQ(last, seconds(1000));
}

TEST(RateLimiter, ExponentDoesNotOverflowAfterManyFailures) {
  // A max near the type's limit leaves only the overflow guard between 2^n and a wrap.
  RateLimiter limiter(
      RateLimiter::Options{.base_delay = nanoseconds(1), .max_delay = nanoseconds::max(), .qps = 0, .burst = 1});
  nanoseconds previous{0};
  for (int i = 0; i < 200; ++i) {
    const nanoseconds delay = limiter.when("a", kStart);
    ASSERT_GE(delay, previous) << "failure " << i;
    previous = delay;
  }
  EXPECT_EQ(previous, nanoseconds::max());
}

TEST(RateLimiter, ForgetResetsTheKey) {
  RateLimiter limiter;
  (void)limiter.when("a", kStart);
  (void)limiter.when("a", kStart);
  limiter.forget("a");
  EXPECT_EQ(limiter.num_requeues("a"), 0);
  EXPECT_EQ(limiter.when("a", kStart), milliseconds(5));
  EXPECT_EQ(limiter.num_requeues("a"), 1);
}

TEST(RateLimiter, OverallBucketDominatesAfterBurst) {
  RateLimiter limiter;
  // 100 different keys, each at its first failure, use up the burst.
  for (int i = 0; i < 100; ++i) ASSERT_EQ(limiter.when("key-" + std::to_string(i), kStart), milliseconds(5)) << i;
  // Then tokens come at 10/s: the next waits 100 ms, the one after 200 ms.
  EXPECT_EQ(limiter.when("key-100", kStart), milliseconds(100));
  EXPECT_EQ(limiter.when("key-101", kStart), milliseconds(200));
}

TEST(RateLimiter, BucketRefillsWithTime) {
  RateLimiter limiter;
  for (int i = 0; i < 101; ++i) (void)limiter.when("key-" + std::to_string(i), kStart);
  // One second later ten tokens have come, minus the one owed.
  EXPECT_EQ(limiter.when("fresh", kStart + seconds(1)), milliseconds(5));
}

}  // namespace
}  // namespace sso::kube
