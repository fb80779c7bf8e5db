#include "kube/controller.hpp"

#include <exception>
#include <utility>

#include "base/log.hpp"

namespace sso::kube {

namespace {

constexpr std::string_view kLogger = "controller";

metrics::ReconcileMetrics reconcile_metrics(metrics::Registry* registry, const std::string& name) {
  return registry ? registry->controller(name) : metrics::ReconcileMetrics{};
}

metrics::QueueMetrics queue_metrics(metrics::Registry* registry, const std::string& name) {
  return registry ? registry->queue(name) : metrics::QueueMetrics{};
}

void increment(prometheus::Counter* counter) {
  if (counter) counter->Increment();
}

}  // namespace

bool is_terminal(const Error& e) {
  return e.code() == ErrorCode::kInvalidArgument || e.code() == ErrorCode::kFailedPrecondition;
}

Controller::Controller(std::string name, Reconciler reconcile, Options options, metrics::Registry* metrics)
    : name_(std::move(name)),
      reconcile_(std::move(reconcile)),
      options_(options),
      metrics_(reconcile_metrics(metrics, name_)),
      queue_(name_, queue_metrics(metrics, name_), options.rate_limits) {
  if (metrics_.max_concurrent) metrics_.max_concurrent->Set(options_.workers);
  if (metrics_.active_workers) metrics_.active_workers->Set(0);
}

Controller::~Controller() {
  // The grace only decides stop()'s answer; the workers are joined regardless.
  (void)stop(std::chrono::hours(24));
}

void Controller::start() {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (started_ || stopped_) return;
  started_ = true;
  log::info(kLogger, "Starting workers", {{"controller", name_}, {"worker count", std::to_string(options_.workers)}});
  for (int i = 0; i < options_.workers; ++i) {
    {
      std::lock_guard lock(running_mu_);
      ++running_;
    }
    try {
      workers_.emplace_back([this] { run_worker(); });
    } catch (...) {
      std::lock_guard lock(running_mu_);
      --running_;
      throw;
    }
  }
}

bool Controller::stop(std::chrono::milliseconds grace) {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (stopped_) return stopped_in_time_;
  stopped_ = true;
  if (started_)
    log::info(kLogger, "Shutdown signal received, waiting for all workers to finish", {{"controller", name_}});
  queue_.shut_down();
  {
    std::unique_lock lock(running_mu_);
    stopped_in_time_ = workers_exited_.wait_for(lock, grace, [this] { return running_ == 0; });
  }
  if (!stopped_in_time_) {
    log::warn(kLogger, "Reconciles still running after the grace period; waiting for them",
              {{"controller", name_}, {"grace", std::to_string(grace.count()) + "ms"}});
  }
  for (auto& worker : workers_) worker.join();
  workers_.clear();
  if (started_) log::info(kLogger, "All workers finished", {{"controller", name_}});
  return stopped_in_time_;
}

void Controller::run_worker() {
  // As controller-runtime's worker: `for c.processNextWorkItem(ctx) {}`.
  while (const auto key = queue_.get()) reconcile_handler(*key);
  std::lock_guard lock(running_mu_);
  --running_;
  workers_exited_.notify_all();
}

Result<ReconcileResult> Controller::call_reconciler(const std::string& key) {
  // A throw is a programming error in the reconciler. controller-runtime recovers a panic
  // into an error (RecoverPanic) rather than taking down every other controller; so do we.
  try {
    return reconcile_(key);
  } catch (const std::exception& e) {
    return internal_error(std::string("panic: ") + e.what() + " [recovered]");
  } catch (...) {
    return internal_error("panic: unknown exception [recovered]");
  }
}

void Controller::reconcile_handler(const std::string& key) {
  if (metrics_.active_workers) metrics_.active_workers->Increment();
  const auto started = std::chrono::steady_clock::now();

  const Result<ReconcileResult> result = call_reconciler(key);
  if (!result.ok()) {
    const Error& error = result.error();
    if (is_terminal(error)) {
      increment(metrics_.terminal_errors);
      // controller-runtime leaves the backoff of a terminal error alone; we reset it, so a
      // fixed object that later fails transiently starts again at the base delay.
      queue_.forget(key);
    } else {
      queue_.add_rate_limited(key);
    }
    increment(metrics_.errors);
    increment(metrics_.error);
    log::error(kLogger, "Reconciler error", {{"controller", name_}, {"key", key}, {"error", error.describe()}});
  } else if (result->requeue_after.count() > 0) {
    // The delay asked for replaces any backoff: a stable loop, not an error, brought it here.
    queue_.forget(key);
    queue_.add_after(key, result->requeue_after);
    increment(metrics_.requeue_after);
  } else if (result->requeue) {
    queue_.add_rate_limited(key);
    increment(metrics_.requeue);
  } else {
    // Not seen again until another change brings it.
    queue_.forget(key);
    increment(metrics_.success);
  }

  if (metrics_.time) {
    metrics_.time->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  if (metrics_.active_workers) metrics_.active_workers->Decrement();
  queue_.done(key);
}

}  // namespace sso::kube
