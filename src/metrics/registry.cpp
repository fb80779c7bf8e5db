#include "metrics/registry.hpp"

#include <prometheus/text_serializer.h>

namespace sso::metrics {
namespace {

// controller-runtime's reconcile_time_seconds buckets (pkg/internal/controller/metrics).
prometheus::Histogram::BucketBoundaries reconcile_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5,
          1.75,  2.0,  2.5,   3.0,  3.5, 4.0,  4.5, 5,    6,   7,    8,   9,    10,  15,  20,  25,  30,  40,  50,   60};
}

// client-go's workqueue durations: ExponentialBuckets(10e-9, 10, 12), 10 ns to 1000 s.
prometheus::Histogram::BucketBoundaries queue_buckets() {
  prometheus::Histogram::BucketBoundaries b;
  double v = 1e-8;
  for (int i = 0; i < 12; ++i, v *= 10) b.push_back(v);
  return b;
}

}  // namespace

Registry::Registry() : registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  reconcile_total_ = &prometheus::BuildCounter()
                          .Name("controller_runtime_reconcile_total")
                          .Help("Total number of reconciliations per controller")
                          .Register(r);
  reconcile_errors_ = &prometheus::BuildCounter()
                           .Name("controller_runtime_reconcile_errors_total")
                           .Help("Total number of reconciliation errors per controller")
                           .Register(r);
  terminal_errors_ = &prometheus::BuildCounter()
                          .Name("controller_runtime_terminal_reconcile_errors_total")
                          .Help("Total number of terminal reconciliation errors per controller")
                          .Register(r);
  reconcile_time_ = &prometheus::BuildHistogram()
                         .Name("controller_runtime_reconcile_time_seconds")
                         .Help("Length of time per reconciliation per controller")
                         .Register(r);
  active_workers_ = &prometheus::BuildGauge()
                         .Name("controller_runtime_active_workers")
                         .Help("Number of currently used workers per controller")
                         .Register(r);
  max_concurrent_ = &prometheus::BuildGauge()
                         .Name("controller_runtime_max_concurrent_reconciles")
                         .Help("Maximum number of concurrent reconciles per controller")
                         .Register(r);
  depth_ = &prometheus::BuildGauge().Name("workqueue_depth").Help("Current depth of workqueue").Register(r);
  adds_ = &prometheus::BuildCounter()
               .Name("workqueue_adds_total")
               .Help("Total number of adds handled by workqueue")
               .Register(r);
  queue_duration_ = &prometheus::BuildHistogram()
                         .Name("workqueue_queue_duration_seconds")
                         .Help("How long in seconds an item stays in workqueue before being requested")
                         .Register(r);
  work_duration_ = &prometheus::BuildHistogram()
                        .Name("workqueue_work_duration_seconds")
                        .Help("How long in seconds processing an item from workqueue takes")
                        .Register(r);
  retries_ = &prometheus::BuildCounter()
                  .Name("workqueue_retries_total")
                  .Help("Total number of retries handled by workqueue")
                  .Register(r);
  unfinished_ = &prometheus::BuildGauge()
                     .Name("workqueue_unfinished_work_seconds")
                     .Help(
                         "How many seconds of work has been done that is in progress and hasn't been observed by "
                         "work_duration. Large values indicate stuck threads.")
                     .Register(r);
  longest_ = &prometheus::BuildGauge()
                  .Name("workqueue_longest_running_processor_seconds")
                  .Help("How many seconds has the longest running processor for workqueue been running")
                  .Register(r);
  requests_ = &prometheus::BuildCounter()
                   .Name("rest_client_requests_total")
                   .Help("Number of HTTP requests, partitioned by status code, method, and host")
                   .Register(r);
  leader_ = &prometheus::BuildGauge()
                 .Name("leader_election_master_status")
                 .Help(
                     "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 "
                     "indicates master. 'name' is the string used to identify the lease")
                 .Register(r);
}

QueueMetrics Registry::queue(const std::string& controller) {
  std::lock_guard lock(mu_);
  const prometheus::Labels labels{{"controller", controller}, {"name", controller}};
  QueueMetrics m;
  m.depth = &depth_->Add(labels);
  m.adds = &adds_->Add(labels);
  m.queue_duration = &queue_duration_->Add(labels, queue_buckets());
  m.work_duration = &work_duration_->Add(labels, queue_buckets());
  m.retries = &retries_->Add(labels);
  m.unfinished_work_seconds = &unfinished_->Add(labels);
  m.longest_running_processor_seconds = &longest_->Add(labels);
  return m;
}

ReconcileMetrics Registry::controller(const std::string& controller) {
  std::lock_guard lock(mu_);
  ReconcileMetrics m;
  m.success = &reconcile_total_->Add({{"controller", controller}, {"result", "success"}});
  m.error = &reconcile_total_->Add({{"controller", controller}, {"result", "error"}});
  m.requeue = &reconcile_total_->Add({{"controller", controller}, {"result", "requeue"}});
  m.requeue_after = &reconcile_total_->Add({{"controller", controller}, {"result", "requeue_after"}});
  m.errors = &reconcile_errors_->Add({{"controller", controller}});
  m.terminal_errors = &terminal_errors_->Add({{"controller", controller}});
  m.time = &reconcile_time_->Add({{"controller", controller}}, reconcile_buckets());
  m.active_workers = &active_workers_->Add({{"controller", controller}});
  m.max_concurrent = &max_concurrent_->Add({{"controller", controller}});
  return m;
}

void Registry::count_request(std::string_view code, std::string_view method, std::string_view host) {
  std::lock_guard lock(mu_);
  requests_->Add({{"code", std::string(code)}, {"method", std::string(method)}, {"host", std::string(host)}})
      .Increment();
}

void Registry::set_leader(const std::string& lease_name, bool leading) {
  std::lock_guard lock(mu_);
  leader_->Add({{"name", lease_name}}).Set(leading ? 1 : 0);
}

std::string Registry::scrape() const { return prometheus::TextSerializer().Serialize(registry_->Collect()); }

}  // namespace sso::metrics
