#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/error.hpp"
#include "base/result.hpp"
#include "kube/work_queue.hpp"
#include "metrics/registry.hpp"

namespace sso::kube {

// controller-runtime's reconcile.Result: `requeue_after` > 0 asks to see the key again then
// (and resets its backoff); `requeue` asks for it again after the rate limiter's delay.
struct ReconcileResult {
  bool requeue = false;
  std::chrono::nanoseconds requeue_after{0};
};

// Brings the world in line with the object named by `key` ("namespace/name"). Called by one
// worker at a time per key, so it needs no locks of its own.
using Reconciler = std::function<Result<ReconcileResult>(const std::string& key)>;

// Errors that retrying cannot fix (bad spec, missing referenced input): counted, logged, not
// requeued with backoff; the next watch event brings the key back. controller-runtime's
// reconcile.TerminalError.
bool is_terminal(const Error& e);

// controller-runtime's controller loop (pkg/internal/controller/controller.go): `workers`
// threads take keys from one WorkQueue and hand each to the Reconciler, then requeue it
// according to the outcome.
class Controller {
 public:
  struct Options {
    int workers = 1;
    RateLimiter::Options rate_limits;
  };

  Controller(std::string name, Reconciler reconcile, Options options, metrics::Registry* metrics);
  // Stops and joins the workers if stop() was not called.
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  const std::string& name() const { return name_; }
  // Event handlers enqueue keys here, before or after start().
  WorkQueue& queue() { return queue_; }

  // Starts `workers` threads. Once only; a call after stop() does nothing.
  void start();
  // Stops handing out keys and waits for the reconciles in flight. Returns false if they
  // took longer than `grace`; the workers are joined either way, so nothing outlives the
  // Controller. Idempotent: later calls return the first call's answer.
  bool stop(std::chrono::milliseconds grace);

 private:
  void run_worker();
  void reconcile_handler(const std::string& key);
  Result<ReconcileResult> call_reconciler(const std::string& key);

  const std::string name_;
  const Reconciler reconcile_;
  const Options options_;
  const metrics::ReconcileMetrics metrics_;
  WorkQueue queue_;

  std::mutex lifecycle_mu_;  // serialises start() and stop()
  bool started_ = false;
  bool stopped_ = false;
  bool stopped_in_time_ = true;
  std::vector<std::thread> workers_;

  std::mutex running_mu_;
  std::condition_variable workers_exited_;
  int running_ = 0;
};

}  // namespace sso::kube
