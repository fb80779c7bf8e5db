#pragma once

#include <algorithm>
#include <chrono>
#include <random>

namespace sso::kube {

// Jittered exponential backoff for reconnecting streams: client-go's reflector uses
// 800 ms doubling to 30 s with jitter 1.0 (a random extra of up to the delay itself); we cap
// the jittered delay at the maximum too.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max) : initial_(initial), max_(max) {}

  std::chrono::milliseconds next() {
    const std::chrono::milliseconds base = std::min(max_, initial_ * (1L << std::min(failures_, 20)));
    ++failures_;
    std::uniform_real_distribution<double> jitter(0.0, 1.0);
    const auto jittered = base + std::chrono::milliseconds(static_cast<long long>(base.count() * jitter(rng_)));
    return std::min<std::chrono::milliseconds>(max_, jittered);
  }
  void reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  int failures_ = 0;
  std::minstd_rand rng_{std::random_device{}()};
};

}  // namespace sso::kube
