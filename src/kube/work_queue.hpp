#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "kube/token_bucket.hpp"
#include "metrics/registry.hpp"

namespace sso::kube {

using SteadyTime = std::chrono::steady_clock::time_point;

// client-go's DefaultControllerRateLimiter (util/workqueue/default_rate_limiters.go): the
// larger of a per-key exponential backoff (ItemExponentialFailureRateLimiter) and one token
// bucket shared by every key (BucketRateLimiter). The first keeps one broken object from
// hot-looping; the second keeps a burst of failures across many objects from flooding the
// API server. Thread-safe.
class RateLimiter {
 public:
  struct Options {
    std::chrono::nanoseconds base_delay = std::chrono::milliseconds(5);
    std::chrono::nanoseconds max_delay = std::chrono::seconds(1000);
    double qps = 10;  // <= 0: no overall limit
    int burst = 100;
  };

  RateLimiter() : RateLimiter(Options{}) {}
  explicit RateLimiter(Options options);

  // Records one more failure of `key` at `now` and says how long to wait before retrying it:
  // base_delay * 2^(failures so far), at most max_delay, or longer if the bucket is empty.
  std::chrono::nanoseconds when(const std::string& key, SteadyTime now);
  // Clears the failures of `key`: its next when() starts again at base_delay.
  void forget(const std::string& key);
  int num_requeues(const std::string& key) const;

 private:
  std::chrono::nanoseconds item_backoff(int failures) const;

  Options options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, int> failures_;
  TokenBucket bucket_;
};

// The work queue of client-go's util/workqueue (Type + delayingType + rateLimitingType) for
// string keys ("namespace/name"):
// - a key waiting in the queue is held once however often it is added (the dirty set);
// - a key a worker holds is never handed to a second worker: an add while it is processed
//   marks it dirty, and done() puts it back, so the reconciler sees the newest state once;
// - add_after holds a key until its time, the earliest time winning when it is added again;
// - add_rate_limited delays by the RateLimiter.
// Unlike client-go no goroutine moves delayed keys: get() waits until the earliest one is
// due (or an add wakes it) and moves the due ones itself. Thread-safe.
class WorkQueue {
 public:
  using Clock = std::function<SteadyTime()>;

  // `now` defaults to std::chrono::steady_clock::now; tests pass a fake to step delays and
  // durations exactly. get() still blocks in real time for what the clock says remains.
  WorkQueue(std::string name, metrics::QueueMetrics metrics = {}, RateLimiter::Options limits = {}, Clock now = {});
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  const std::string& name() const { return name_; }

  void add(const std::string& key);
  void add_after(const std::string& key, std::chrono::nanoseconds delay);
  void add_rate_limited(const std::string& key);
  void forget(const std::string& key);
  int num_requeues(const std::string& key) const;

  // Blocks until a key is ready and hands it out, marking it processing until done(key).
  // nullopt once the queue shuts down (keys still queued then are not handed out).
  std::optional<std::string> get();
  void done(const std::string& key);

  // Wakes every get() with nullopt; later adds are ignored.
  void shut_down();
  bool shutting_down() const;

  // Keys ready to be handed out (delayed keys count once due; processing ones do not).
  size_t length();

 private:
  void add_locked(const std::string& key, SteadyTime now);
  void move_due_locked(SteadyTime now);
  void set_depth_locked();
  void update_unfinished_work_locked(SteadyTime now);

  const std::string name_;
  const metrics::QueueMetrics metrics_;
  RateLimiter limiter_;
  const Clock now_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool shutting_down_ = false;
  std::deque<std::string> queue_;                           // ready, in order
  std::unordered_set<std::string> dirty_;                   // need processing (queued or re-added)
  std::unordered_map<std::string, SteadyTime> processing_;  // held by a worker, since
  std::unordered_map<std::string, SteadyTime> added_at_;    // for queue_duration
  std::multimap<SteadyTime, std::string> waiting_;          // delayed, by ready time
  std::unordered_map<std::string, std::multimap<SteadyTime, std::string>::iterator> waiting_index_;
};

}  // namespace sso::kube
