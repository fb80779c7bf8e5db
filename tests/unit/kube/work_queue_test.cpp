#include "kube/work_queue.hpp"

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "metrics/registry.hpp"

namespace sso::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::Optional;

// A clock the test moves by hand, so delays and durations are exact and nothing waits.
class FakeClock {
 public:
  SteadyTime now() const { return now_; }
  void advance(std::chrono::nanoseconds d) { now_ += d; }
  WorkQueue::Clock fn() {
    return [this] { return now_; };
  }

 private:
  SteadyTime now_ = SteadyTime{} + std::chrono::hours(1);
};

// get() for tests on a fake clock: a key the test expects but the queue does not have must
// fail the test, not block it until the fake clock's remaining time passes for real.
std::optional<std::string> take(WorkQueue& queue) {
  if (queue.length() == 0) return std::nullopt;
  return queue.get();
}

// get() on a thread of its own, for the tests where blocking is the behaviour. Detached, and
// the queue shared, so a get() that never returns fails the test instead of hanging it in a
// std::async future's destructor.
std::future<std::optional<std::string>> get_async(std::shared_ptr<WorkQueue> queue) {
  std::promise<std::optional<std::string>> promise;
  auto future = promise.get_future();
  std::thread([queue = std::move(queue), promise = std::move(promise)]() mutable {
    promise.set_value(queue->get());
  }).detach();
  return future;
}

class WorkQueueTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  WorkQueue queue_{"test", {}, {}, clock_.fn()};
};

TEST_F(WorkQueueTest, DedupesKeyWhileQueued) {
  queue_.add("a");
  queue_.add("b");
  queue_.add("a");
  EXPECT_EQ(queue_.length(), 2u);
  EXPECT_THAT(take(queue_), Optional(std::string("a")));
  EXPECT_THAT(take(queue_), Optional(std::string("b")));
  EXPECT_EQ(queue_.length(), 0u);
}

TEST_F(WorkQueueTest, KeyInProcessingIsNotHandedOutAgainUntilDone) {
  queue_.add("a");
  ASSERT_THAT(take(queue_), Optional(std::string("a")));
  queue_.add("a");  // a watch event while a worker holds it
  queue_.add("b");
  EXPECT_EQ(queue_.length(), 1u);
  EXPECT_THAT(take(queue_), Optional(std::string("b")));
  EXPECT_EQ(queue_.length(), 0u);

  queue_.done("a");
  EXPECT_EQ(queue_.length(), 1u);
  EXPECT_THAT(take(queue_), Optional(std::string("a")));
}

TEST_F(WorkQueueTest, ReAddsDuringProcessingCollapseIntoOneRequeue) {
  queue_.add("a");
  ASSERT_THAT(take(queue_), Optional(std::string("a")));
  queue_.add("a");
  queue_.add("a");
  queue_.done("a");
  EXPECT_EQ(queue_.length(), 1u);
  ASSERT_THAT(take(queue_), Optional(std::string("a")));
  queue_.done("a");
  EXPECT_EQ(queue_.length(), 0u);
}

TEST_F(WorkQueueTest, DoneWithoutReAddDoesNotRequeue) {
  queue_.add("a");
  ASSERT_THAT(take(queue_), Optional(std::string("a")));
  queue_.done("a");
  EXPECT_EQ(queue_.length(), 0u);
}

TEST_F(WorkQueueTest, AddAfterHoldsKeyUntilItsTime) {
  queue_.add_after("a", seconds(2));
  EXPECT_EQ(queue_.length(), 0u);
  clock_.advance(milliseconds(1999));
  EXPECT_EQ(queue_.length(), 0u);
  clock_.advance(milliseconds(1));
  EXPECT_EQ(queue_.length(), 1u);
  EXPECT_THAT(take(queue_), Optional(std::string("a")));
}

TEST_F(WorkQueueTest, AddAfterEarlierTimeWins) {
  queue_.add_after("a", seconds(10));
  queue_.add_after("a", seconds(1));
  clock_.advance(seconds(1));
  EXPECT_EQ(queue_.length(), 1u);
  ASSERT_THAT(take(queue_), Optional(std::string("a")));
  queue_.done("a");
  // The later time was replaced, not kept as a second delivery.
  clock_.advance(seconds(20));
  EXPECT_EQ(queue_.length(), 0u);
}

TEST_F(WorkQueueTest, AddAfterLaterTimeDoesNotPostpone) {
  queue_.add_after("a", seconds(1));
  queue_.add_after("a", seconds(10));
  clock_.advance(seconds(1));
  EXPECT_EQ(queue_.length(), 1u);
}

TEST_F(WorkQueueTest, DelayedKeysComeOutInTimeOrder) {
  queue_.add_after("c", seconds(3));
  queue_.add_after("a", seconds(1));
  queue_.add_after("b", seconds(2));
  clock_.advance(milliseconds(1500));
  EXPECT_EQ(queue_.length(), 1u);
  clock_.advance(seconds(5));
  EXPECT_THAT(take(queue_), Optional(std::string("a")));
  EXPECT_THAT(take(queue_), Optional(std::string("b")));
  EXPECT_THAT(take(queue_), Optional(std::string("c")));
}

TEST_F(WorkQueueTest, ZeroOrNegativeDelayAddsAtOnce) {
  queue_.add_after("a", seconds(0));
  queue_.add_after("b", seconds(-1));
  EXPECT_EQ(queue_.length(), 2u);
}

TEST_F(WorkQueueTest, DueDelayedKeyThatIsQueuedAlreadyIsNotDuplicated) {
  queue_.add_after("a", seconds(1));
  queue_.add("a");
  clock_.advance(seconds(1));
  EXPECT_EQ(queue_.length(), 1u);
}

TEST_F(WorkQueueTest, AddRateLimitedBacksOffPerKeyAndForgetResets) {
  queue_.add_rate_limited("a");
  EXPECT_EQ(queue_.num_requeues("a"), 1);
  EXPECT_EQ(queue_.length(), 0u);
  clock_.advance(milliseconds(5));
  EXPECT_EQ(queue_.length(), 1u);
  ASSERT_THAT(take(queue_), Optional(std::string("a")));
  queue_.done("a");

  queue_.add_rate_limited("a");  // second failure: 10 ms
  EXPECT_EQ(queue_.num_requeues("a"), 2);
  clock_.advance(milliseconds(9));
  EXPECT_EQ(queue_.length(), 0u);
  clock_.advance(milliseconds(1));
  EXPECT_EQ(queue_.length(), 1u);
  ASSERT_THAT(take(queue_), Optional(std::string("a")));
  queue_.done("a");

  queue_.forget("a");
  EXPECT_EQ(queue_.num_requeues("a"), 0);
  queue_.add_rate_limited("a");
  clock_.advance(milliseconds(5));
  EXPECT_EQ(queue_.length(), 1u);
}

TEST_F(WorkQueueTest, GetReturnsNulloptAfterShutDownAndAddsAreIgnored) {
  queue_.add("a");
  queue_.shut_down();
  EXPECT_TRUE(queue_.shutting_down());
  EXPECT_EQ(queue_.get(), std::nullopt);
  queue_.add("b");
  queue_.add_after("c", seconds(0));
  EXPECT_EQ(queue_.get(), std::nullopt);
}

// Concurrency is the behaviour here, so threads: every blocked get() must wake at once.
TEST(WorkQueueBlocking, ShutDownWakesEveryBlockedGet) {
  auto queue = std::make_shared<WorkQueue>("test");
  auto first = get_async(queue);
  auto second = get_async(queue);
  // Nothing is queued, so both stay blocked.
  EXPECT_EQ(first.wait_for(milliseconds(20)), std::future_status::timeout);
  queue->shut_down();
  ASSERT_EQ(first.wait_for(seconds(5)), std::future_status::ready);
  ASSERT_EQ(second.wait_for(seconds(5)), std::future_status::ready);
  EXPECT_EQ(first.get(), std::nullopt);
  EXPECT_EQ(second.get(), std::nullopt);
}

TEST(WorkQueueBlocking, BlockedGetWakesForAnAdd) {
  auto queue = std::make_shared<WorkQueue>("test");
  auto taken = get_async(queue);
  EXPECT_EQ(taken.wait_for(milliseconds(20)), std::future_status::timeout);
  queue->add("a");
  ASSERT_EQ(taken.wait_for(seconds(5)), std::future_status::ready);
  EXPECT_THAT(taken.get(), Optional(std::string("a")));
  queue->shut_down();
}

// With the real clock, get() itself waits out the delay: no thread moves delayed keys.
TEST(WorkQueueBlocking, BlockedGetReAimsAtANewEarliestKey) {
  auto queue = std::make_shared<WorkQueue>("test");
  auto taken = get_async(queue);
  queue->add_after("late", seconds(30));
  // Now blocked until the late key's time; a new earliest key must wake it to re-aim.
  EXPECT_EQ(taken.wait_for(milliseconds(20)), std::future_status::timeout);
  const auto added = std::chrono::steady_clock::now();
  queue->add_after("soon", milliseconds(20));
  ASSERT_EQ(taken.wait_for(seconds(5)), std::future_status::ready);
  EXPECT_THAT(taken.get(), Optional(std::string("soon")));
  EXPECT_GE(std::chrono::steady_clock::now() - added, milliseconds(20));
  queue->shut_down();
}

class WorkQueueMetricsTest : public ::testing::Test {
 protected:
  static double sum(prometheus::Histogram* h) { return h->Collect().histogram.sample_sum; }
  static std::uint64_t count(prometheus::Histogram* h) { return h->Collect().histogram.sample_count; }

  FakeClock clock_;
  metrics::Registry registry_;
  metrics::QueueMetrics metrics_ = registry_.queue("metrics-test");
  WorkQueue queue_{"metrics-test", metrics_, {}, clock_.fn()};
};

TEST_F(WorkQueueMetricsTest, CountsAddsButNotDeduplicatedOnesAndTracksDepth) {
  ASSERT_NE(metrics_.adds, nullptr);
  ASSERT_NE(metrics_.depth, nullptr);
  queue_.add("a");
  queue_.add("a");
  queue_.add("b");
  EXPECT_EQ(metrics_.adds->Value(), 2);
  EXPECT_EQ(metrics_.depth->Value(), 2);
  ASSERT_TRUE(take(queue_).has_value());
  EXPECT_EQ(metrics_.depth->Value(), 1);
}

TEST_F(WorkQueueMetricsTest, ObservesQueueAndWorkDurations) {
  ASSERT_NE(metrics_.queue_duration, nullptr);
  ASSERT_NE(metrics_.work_duration, nullptr);
  queue_.add("a");
  clock_.advance(seconds(2));
  ASSERT_THAT(take(queue_), Optional(std::string("a")));
  EXPECT_EQ(count(metrics_.queue_duration), 1u);
  EXPECT_DOUBLE_EQ(sum(metrics_.queue_duration), 2.0);
  clock_.advance(seconds(3));
  queue_.done("a");
  EXPECT_EQ(count(metrics_.work_duration), 1u);
  EXPECT_DOUBLE_EQ(sum(metrics_.work_duration), 3.0);
}

TEST_F(WorkQueueMetricsTest, TracksUnfinishedWorkOfProcessingKeys) {
  ASSERT_NE(metrics_.unfinished_work_seconds, nullptr);
  ASSERT_NE(metrics_.longest_running_processor_seconds, nullptr);
  queue_.add("a");
  queue_.add("b");
  ASSERT_THAT(take(queue_), Optional(std::string("a")));
  clock_.advance(seconds(4));
  ASSERT_THAT(take(queue_), Optional(std::string("b")));  // a has run 4 s, b 0 s
  EXPECT_DOUBLE_EQ(metrics_.unfinished_work_seconds->Value(), 4.0);
  EXPECT_DOUBLE_EQ(metrics_.longest_running_processor_seconds->Value(), 4.0);
  clock_.advance(seconds(1));
  queue_.done("a");  // b alone, 1 s
  EXPECT_DOUBLE_EQ(metrics_.unfinished_work_seconds->Value(), 1.0);
  EXPECT_DOUBLE_EQ(metrics_.longest_running_processor_seconds->Value(), 1.0);
  queue_.done("b");
  EXPECT_DOUBLE_EQ(metrics_.unfinished_work_seconds->Value(), 0.0);
}

TEST_F(WorkQueueMetricsTest, CountsRetriesOfDelayedAdds) {
  ASSERT_NE(metrics_.retries, nullptr);
  queue_.add("a");
  EXPECT_EQ(metrics_.retries->Value(), 0);
  queue_.add_rate_limited("a");
  queue_.add_rate_limited("b");
  queue_.add_after("c", seconds(1));
  EXPECT_EQ(metrics_.retries->Value(), 3);
}

}  // namespace
}  // namespace sso::kube
