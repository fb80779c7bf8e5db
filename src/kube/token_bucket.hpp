#pragma once

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

namespace sso::kube {

// A token bucket as golang.org/x/time/rate's Limiter: `qps` tokens a second, at most `burst`
// held. reserve() takes a token now and says how long to wait before using it, so callers
// can either sleep (the REST client) or schedule (the work queue's overall limit).
class TokenBucket {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  TokenBucket(double qps, int burst) : qps_(qps), burst_(std::max(burst, 1)), tokens_(burst_) {}

  // Takes one token at `now`; the delay before it may be used (zero when one was there).
  std::chrono::nanoseconds reserve(SteadyTime now) {
    std::lock_guard lock(mu_);
    if (qps_ <= 0) return std::chrono::nanoseconds(0);  // unlimited
    if (!started_) {
      started_ = true;
      last_ = now;
    }
    if (now > last_) {
      tokens_ = std::min<double>(burst_, tokens_ + std::chrono::duration<double>(now - last_).count() * qps_);
      last_ = now;
    }
    tokens_ -= 1;
    if (tokens_ >= 0) return std::chrono::nanoseconds(0);
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(-tokens_ / qps_));
  }

  // Blocks until a token is available.
  void wait() {
    const auto delay = reserve(std::chrono::steady_clock::now());
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
  }

 private:
  std::mutex mu_;
  double qps_;
  int burst_;
  double tokens_;
  bool started_ = false;
  SteadyTime last_{};
};

}  // namespace sso::kube
