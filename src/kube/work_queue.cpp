#include "kube/work_queue.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <utility>

namespace sso::kube {

namespace {

double seconds_between(SteadyTime from, SteadyTime to) { return std::chrono::duration<double>(to - from).count(); }

}  // namespace

RateLimiter::RateLimiter(Options options) : options_(options), bucket_(options.qps, options.burst) {}

std::chrono::nanoseconds RateLimiter::item_backoff(int failures) const {
  if (options_.base_delay.count() <= 0) return std::chrono::nanoseconds(0);
  // As ItemExponentialFailureRateLimiter.When: computed in floating point so that a large
  // exponent saturates (to infinity) instead of wrapping, then capped at max_delay.
  const double backoff = static_cast<double>(options_.base_delay.count()) * std::ldexp(1.0, failures);
  if (!(backoff < static_cast<double>(options_.max_delay.count()))) return options_.max_delay;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(backoff));
}

std::chrono::nanoseconds RateLimiter::when(const std::string& key, SteadyTime now) {
  std::chrono::nanoseconds item;
  {
    std::lock_guard lock(mu_);
    int& failures = failures_[key];
    item = item_backoff(failures);
    if (failures < INT_MAX) ++failures;
  }
  // MaxOfRateLimiter asks every limiter, so a per-key retry also takes an overall token.
  return std::max(item, bucket_.reserve(now));
}

void RateLimiter::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

int RateLimiter::num_requeues(const std::string& key) const {
  std::lock_guard lock(mu_);
  const auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

WorkQueue::WorkQueue(std::string name, metrics::QueueMetrics metrics, RateLimiter::Options limits, Clock now)
    : name_(std::move(name)),
      metrics_(metrics),
      limiter_(limits),
      now_(now ? std::move(now) : Clock([] { return std::chrono::steady_clock::now(); })) {
  set_depth_locked();
}

void WorkQueue::add(const std::string& key) {
  std::lock_guard lock(mu_);
  if (shutting_down_) return;
  add_locked(key, now_());
}

void WorkQueue::add_locked(const std::string& key, SteadyTime now) {
  if (dirty_.contains(key)) return;
  if (metrics_.adds) metrics_.adds->Increment();
  dirty_.insert(key);
  added_at_.emplace(key, now);
  // A worker holds it: done() queues it again, so no second worker ever sees it meanwhile.
  if (processing_.contains(key)) return;
  queue_.push_back(key);
  set_depth_locked();
  cv_.notify_one();
}

void WorkQueue::add_after(const std::string& key, std::chrono::nanoseconds delay) {
  std::lock_guard lock(mu_);
  if (shutting_down_) return;
  // client-go's delayingType.AddAfter counts every delayed add as a retry (requeue_after
  // included), and so do we.
  if (metrics_.retries) metrics_.retries->Increment();
  const SteadyTime now = now_();
  if (delay.count() <= 0) {
    add_locked(key, now);
    return;
  }
  // Saturate rather than overflow for delays near nanoseconds::max().
  const SteadyTime ready = delay < SteadyTime::max() - now ? now + delay : SteadyTime::max();
  // As client-go's waitingLoop: a key already waiting keeps the earlier of its two times.
  if (const auto it = waiting_index_.find(key); it != waiting_index_.end()) {
    if (it->second->first <= ready) return;
    waiting_.erase(it->second);
    waiting_index_.erase(it);
  }
  const auto entry = waiting_.emplace(ready, key);
  waiting_index_.emplace(key, entry);
  // Waiters sleep until the earliest time they saw; a new earliest must wake them to re-aim.
  if (entry == waiting_.begin()) cv_.notify_all();
}

void WorkQueue::add_rate_limited(const std::string& key) { add_after(key, limiter_.when(key, now_())); }

void WorkQueue::forget(const std::string& key) { limiter_.forget(key); }

int WorkQueue::num_requeues(const std::string& key) const { return limiter_.num_requeues(key); }

void WorkQueue::move_due_locked(SteadyTime now) {
  while (!waiting_.empty() && waiting_.begin()->first <= now) {
    const auto entry = waiting_.begin();
    std::string key = entry->second;
    waiting_index_.erase(key);
    waiting_.erase(entry);
    add_locked(key, now);
  }
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock lock(mu_);
  SteadyTime now;
  for (;;) {
    // client-go's Get drains what is queued after ShutDown; we stop at once, since stop()
    // has a grace period to keep and a restarted or new leader lists every object again.
    if (shutting_down_) return std::nullopt;
    now = now_();
    move_due_locked(now);
    if (!queue_.empty()) break;
    if (waiting_.empty()) {
      cv_.wait(lock);
    } else {
      // Wait in real time for what `now_` says remains, in bounded steps so that neither a
      // far-off time nor a fake clock can overflow the deadline.
      const auto remaining = std::min<std::chrono::nanoseconds>(waiting_.begin()->first - now, std::chrono::hours(1));
      cv_.wait_until(lock, std::chrono::steady_clock::now() + remaining);
    }
  }
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  dirty_.erase(key);
  processing_[key] = now;
  if (const auto it = added_at_.find(key); it != added_at_.end()) {
    if (metrics_.queue_duration) metrics_.queue_duration->Observe(seconds_between(it->second, now));
    added_at_.erase(it);
  }
  set_depth_locked();
  update_unfinished_work_locked(now);
  // Several keys may have come due at once while only this waiter woke: pass the baton.
  if (!queue_.empty()) cv_.notify_one();
  return key;
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard lock(mu_);
  const SteadyTime now = now_();
  const auto it = processing_.find(key);
  if (it == processing_.end()) return;
  if (metrics_.work_duration) metrics_.work_duration->Observe(seconds_between(it->second, now));
  processing_.erase(it);
  if (dirty_.contains(key)) {
    queue_.push_back(key);
    set_depth_locked();
    cv_.notify_one();
  }
  update_unfinished_work_locked(now);
}

void WorkQueue::shut_down() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
  cv_.notify_all();
}

bool WorkQueue::shutting_down() const {
  std::lock_guard lock(mu_);
  return shutting_down_;
}

size_t WorkQueue::length() {
  std::lock_guard lock(mu_);
  if (!shutting_down_) move_due_locked(now_());
  return queue_.size();
}

void WorkQueue::set_depth_locked() {
  if (metrics_.depth) metrics_.depth->Set(static_cast<double>(queue_.size()));
}

// client-go refreshes these every 500 ms from a goroutine; we refresh them whenever a worker
// takes or returns a key, which is when they change shape.
void WorkQueue::update_unfinished_work_locked(SteadyTime now) {
  double total = 0;
  double longest = 0;
  for (const auto& [key, since] : processing_) {
    const double seconds = std::max(0.0, seconds_between(since, now));
    total += seconds;
    longest = std::max(longest, seconds);
  }
  if (metrics_.unfinished_work_seconds) metrics_.unfinished_work_seconds->Set(total);
  if (metrics_.longest_running_processor_seconds) metrics_.longest_running_processor_seconds->Set(longest);
}

}  // namespace sso::kube
