#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace sso::kube {

// A one-way latch: set once (a SIGTERM, a test, a lost election), waited on by many.
class StopSignal {
 public:
  void notify() {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
    }
    cv_.notify_all();
  }
  bool stopped() const {
    std::lock_guard lock(mu_);
    return stopped_;
  }
  void wait() const {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return stopped_; });
  }
  // True when stopped within `timeout`.
  bool wait_for(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return stopped_; });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool stopped_ = false;
};

// Turns SIGTERM and SIGINT into `stop.notify()`, as controller-runtime's
// SetupSignalHandler does; a second signal exits at once with status 1. Call it first in
// main, before any thread starts: it blocks the signals so that only its own thread takes them.
void notify_on_termination_signals(StopSignal& stop);

}  // namespace sso::kube
