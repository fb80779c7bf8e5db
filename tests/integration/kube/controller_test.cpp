#include "kube/controller.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api_test_client.hpp"
#include "metrics/registry.hpp"

// The controller is driven with keys directly, as controller-runtime's controller_test.go
// drives its Controller through the queue: the API server adds nothing to what is tested.

namespace sso::kube {
namespace {

using sso::testing::eventually;
using std::chrono::milliseconds;
using std::chrono::seconds;

using Clock = std::chrono::steady_clock;

// Records each reconcile of each key, for assertions after the controller has run.
class Calls {
 public:
  void record(const std::string& key) {
    std::lock_guard lock(mu_);
    times_[key].push_back(Clock::now());
  }
  int count(const std::string& key) {
    std::lock_guard lock(mu_);
    return static_cast<int>(times_[key].size());
  }
  std::vector<Clock::time_point> times(const std::string& key) {
    std::lock_guard lock(mu_);
    return times_[key];
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<Clock::time_point>> times_;
};

TEST(IsTerminal, OnlyErrorsRetryCannotFix) {
  EXPECT_TRUE(is_terminal(invalid_argument("bad spec")));
  EXPECT_TRUE(is_terminal(failed_precondition("CA secret missing")));
  EXPECT_FALSE(is_terminal(unavailable("apiserver down")));
  EXPECT_FALSE(is_terminal(internal_error("bug")));
  EXPECT_FALSE(is_terminal(Error(ErrorCode::kAborted, "conflict")));
}

TEST(Controller, NeverReconcilesTheSameKeyConcurrently) {
  constexpr int kKeys = 3;
  constexpr int kRounds = 20;
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back("ns/obj-" + std::to_string(i));
  std::map<std::string, std::atomic<int>> in_flight;
  std::map<std::string, std::atomic<int>> rounds;
  for (const auto& key : keys) {
    in_flight[key] = 0;
    rounds[key] = 0;
  }
  std::atomic<int> peak_workers{0};
  std::atomic<int> busy{0};
  std::mutex mu;
  std::condition_variable overlap_seen;
  int overlaps = 0;  // guarded by mu

  Controller* self = nullptr;
  Controller controller(
      "no-overlap",
      [&](const std::string& key) -> Result<ReconcileResult> {
        const int now_busy = ++busy;
        int peak = peak_workers.load();
        while (now_busy > peak && !peak_workers.compare_exchange_weak(peak, now_busy)) {
        }
        if (in_flight.at(key)++ > 0) {
          std::lock_guard lock(mu);
          ++overlaps;
          overlap_seen.notify_all();
        }
        // A watch event for the key arrives while it is being reconciled: exactly the moment a
        // queue without the processing set would hand it to a second, idle worker. Stay in
        // flight a little (a timed wait, not a spin, so a loaded machine does not starve it),
        // leaving the idle workers time to take the key if the queue would hand it out.
        if (++rounds.at(key) < kRounds) self->queue().add(key);
        {
          std::unique_lock lock(mu);
          overlap_seen.wait_for(lock, milliseconds(2), [&] { return overlaps > 0; });
        }
        --in_flight.at(key);
        --busy;
        return ReconcileResult{};
      },
      Controller::Options{.workers = 4}, nullptr);
  self = &controller;
  for (const auto& key : keys) controller.queue().add(key);
  controller.start();

  ASSERT_TRUE(eventually([&] {
    for (const auto& key : keys)
      if (rounds.at(key) < kRounds) return false;
    return true;
  }));
  EXPECT_TRUE(controller.stop(seconds(5)));
  std::lock_guard lock(mu);
  EXPECT_EQ(overlaps, 0);
  // Several workers were really busy at once (on different keys), or the test proves nothing.
  EXPECT_GT(peak_workers.load(), 1);
}

TEST(Controller, RetriesErrorsWithGrowingBackoffUntilSuccess) {
  metrics::Registry registry;
  Calls calls;
  Controller controller(
      "retry",
      [&](const std::string& key) -> Result<ReconcileResult> {
        calls.record(key);
        if (calls.count(key) <= 3) return unavailable("apiserver busy");
        return ReconcileResult{};
      },
      Controller::Options{.workers = 2}, &registry);
  controller.queue().add("ns/flaky");
  controller.start();

  const auto m = registry.controller("retry");
  ASSERT_TRUE(eventually([&] { return m.success->Value() == 1; }));
  EXPECT_TRUE(controller.stop(seconds(5)));

  EXPECT_EQ(calls.count("ns/flaky"), 4);
  EXPECT_EQ(m.error->Value(), 3);
  EXPECT_EQ(m.errors->Value(), 3);
  EXPECT_EQ(m.terminal_errors->Value(), 0);
  // Success forgets the failures, so the next error starts again at the base delay.
  EXPECT_EQ(controller.queue().num_requeues("ns/flaky"), 0);
  // Each retry waited at least 5 ms, 10 ms, 20 ms after the failure before it.
  const auto times = calls.times("ns/flaky");
  ASSERT_EQ(times.size(), 4u);
  EXPECT_GE(times[1] - times[0], milliseconds(5));
  EXPECT_GE(times[2] - times[1], milliseconds(10));
  EXPECT_GE(times[3] - times[2], milliseconds(20));
}

TEST(Controller, TerminalErrorsAreNotRetried) {
  metrics::Registry registry;
  Calls calls;
  Controller controller(
      "terminal",
      [&](const std::string& key) -> Result<ReconcileResult> {
        calls.record(key);
        if (key == "ns/bad") return invalid_argument("spec.dnsNames: empty");
        return ReconcileResult{};
      },
      Controller::Options{.workers = 1}, &registry);
  controller.queue().add("ns/bad");
  controller.queue().add("ns/marker");  // one worker: handled after ns/bad's outcome
  controller.start();

  const auto m = registry.controller("terminal");
  ASSERT_TRUE(eventually([&] { return calls.count("ns/marker") == 1; }));
  EXPECT_EQ(m.terminal_errors->Value(), 1);
  EXPECT_EQ(m.errors->Value(), 1);
  EXPECT_EQ(m.error->Value(), 1);
  // No backoff was scheduled: a rate-limited requeue would have counted a requeue.
  EXPECT_EQ(controller.queue().num_requeues("ns/bad"), 0);

  // The next watch event brings the key back.
  controller.queue().add("ns/bad");
  ASSERT_TRUE(eventually([&] { return m.terminal_errors->Value() == 2; }));
  EXPECT_TRUE(controller.stop(seconds(5)));
  EXPECT_EQ(calls.count("ns/bad"), 2);
}

TEST(Controller, RequeueAfterRedeliversTheKeyAfterTheDelay) {
  metrics::Registry registry;
  Calls calls;
  constexpr auto kDelay = milliseconds(50);
  Controller controller(
      "requeue-after",
      [&](const std::string& key) -> Result<ReconcileResult> {
        calls.record(key);
        if (calls.count(key) == 1) return ReconcileResult{.requeue_after = kDelay};
        return ReconcileResult{};
      },
      Controller::Options{.workers = 2}, &registry);
  controller.queue().add("ns/renew");
  controller.start();

  const auto m = registry.controller("requeue-after");
  ASSERT_TRUE(eventually([&] { return calls.count("ns/renew") == 2; }));
  EXPECT_TRUE(controller.stop(seconds(5)));
  const auto times = calls.times("ns/renew");
  EXPECT_GE(times[1] - times[0], kDelay);
  EXPECT_EQ(m.requeue_after->Value(), 1);
  EXPECT_EQ(m.success->Value(), 1);
}

TEST(Controller, StopWaitsForTheReconcileInFlight) {
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  Controller* self = nullptr;
  Controller controller(
      "graceful",
      [&](const std::string&) -> Result<ReconcileResult> {
        started = true;
        // Still working when the stop arrives, and for a while after it.
        (void)eventually([&] { return self->queue().shutting_down(); });
        std::this_thread::sleep_for(milliseconds(50));  // the slow part of a reconcile
        finished = true;
        return ReconcileResult{};
      },
      Controller::Options{.workers = 2}, nullptr);
  self = &controller;
  controller.queue().add("ns/slow");
  controller.start();
  ASSERT_TRUE(eventually([&] { return started.load(); }));

  EXPECT_TRUE(controller.stop(seconds(5)));
  EXPECT_TRUE(finished.load());
  // Idempotent.
  EXPECT_TRUE(controller.stop(seconds(5)));
}

TEST(Controller, StopReportsWhenTheGraceRunsOut) {
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  Controller* self = nullptr;
  Controller controller(
      "impatient",
      [&](const std::string&) -> Result<ReconcileResult> {
        started = true;
        (void)eventually([&] { return self->queue().shutting_down(); });
        std::this_thread::sleep_for(milliseconds(100));  // longer than the grace below
        finished = true;
        return ReconcileResult{};
      },
      Controller::Options{.workers = 1}, nullptr);
  self = &controller;
  controller.queue().add("ns/slow");
  controller.start();
  ASSERT_TRUE(eventually([&] { return started.load(); }));

  EXPECT_FALSE(controller.stop(milliseconds(10)));
  // Joined all the same: nothing is left running against a dead Controller.
  EXPECT_TRUE(finished.load());
  EXPECT_FALSE(controller.stop(milliseconds(10)));
}

TEST(Controller, KeysQueuedAfterStopAreNotReconciled) {
  Calls calls;
  Controller controller(
      "stopped",
      [&](const std::string& key) -> Result<ReconcileResult> {
        calls.record(key);
        return ReconcileResult{};
      },
      Controller::Options{.workers = 1}, nullptr);
  controller.start();
  EXPECT_TRUE(controller.stop(seconds(5)));
  controller.queue().add("ns/late");
  EXPECT_EQ(controller.queue().length(), 0u);
  EXPECT_EQ(calls.count("ns/late"), 0);
}

TEST(Controller, ThrowingReconcilerCountsAsAnErrorAndIsRetried) {
  metrics::Registry registry;
  Calls calls;
  Controller controller(
      "throws",
      [&](const std::string& key) -> Result<ReconcileResult> {
        calls.record(key);
        if (calls.count(key) == 1) throw std::runtime_error("null pointer in reconciler");
        return ReconcileResult{};
      },
      Controller::Options{.workers = 1}, &registry);
  controller.queue().add("ns/buggy");
  controller.start();

  const auto m = registry.controller("throws");
  ASSERT_TRUE(eventually([&] { return m.success->Value() == 1; }));
  EXPECT_TRUE(controller.stop(seconds(5)));
  EXPECT_EQ(m.error->Value(), 1);
  EXPECT_EQ(m.errors->Value(), 1);
  EXPECT_EQ(m.terminal_errors->Value(), 0);
  EXPECT_EQ(calls.count("ns/buggy"), 2);
}

TEST(Controller, CountsEachOutcomeUnderItsResultLabel) {
  metrics::Registry registry;
  Calls calls;
  Controller controller(
      "outcomes",
      [&](const std::string& key) -> Result<ReconcileResult> {
        calls.record(key);
        const bool first = calls.count(key) == 1;
        if (key == "ns/error" && first) return unavailable("try again");
        if (key == "ns/terminal") return failed_precondition("CA secret ops/ca missing");
        if (key == "ns/requeue" && first) return ReconcileResult{.requeue = true};
        if (key == "ns/after" && first) return ReconcileResult{.requeue_after = milliseconds(1)};
        return ReconcileResult{};
      },
      Controller::Options{.workers = 3}, &registry);
  for (const char* key : {"ns/ok", "ns/error", "ns/terminal", "ns/requeue", "ns/after"}) controller.queue().add(key);
  controller.start();

  const auto m = registry.controller("outcomes");
  EXPECT_EQ(m.max_concurrent->Value(), 3);
  // ok, and the second calls of error, requeue and after.
  ASSERT_TRUE(eventually([&] { return m.success->Value() == 4 && m.terminal_errors->Value() == 1; }));
  EXPECT_TRUE(controller.stop(seconds(5)));

  EXPECT_EQ(m.error->Value(), 2);
  EXPECT_EQ(m.requeue->Value(), 1);
  EXPECT_EQ(m.requeue_after->Value(), 1);
  EXPECT_EQ(m.errors->Value(), 2);
  EXPECT_EQ(m.terminal_errors->Value(), 1);
  // One observation per call: ok 1, error 2, terminal 1, requeue 2, after 2.
  EXPECT_EQ(m.time->Collect().histogram.sample_count, 8u);
  EXPECT_EQ(m.active_workers->Value(), 0);
  EXPECT_EQ(calls.count("ns/terminal"), 1);
}

TEST(Controller, ActiveWorkersCountsReconcilesInFlight) {
  metrics::Registry registry;
  std::atomic<int> started{0};
  std::promise<void> release;
  const std::shared_future<void> released = release.get_future().share();
  Controller controller(
      "active",
      [&](const std::string&) -> Result<ReconcileResult> {
        ++started;
        released.wait();
        return ReconcileResult{};
      },
      Controller::Options{.workers = 2}, &registry);
  controller.queue().add("ns/a");
  controller.queue().add("ns/b");
  controller.start();

  const auto m = registry.controller("active");
  // EXPECT, not ASSERT: the workers must be released for the Controller to be joined.
  EXPECT_TRUE(eventually([&] { return started == 2; }));
  EXPECT_EQ(m.active_workers->Value(), 2);
  release.set_value();
  EXPECT_TRUE(eventually([&] { return m.active_workers->Value() == 0; }));
  EXPECT_TRUE(controller.stop(seconds(5)));
}

}  // namespace
}  // namespace sso::kube
