#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace sso::metrics {

// The metrics of one work queue, under client-go's workqueue names with controller-runtime's
// labels {controller, name}.
struct QueueMetrics {
  prometheus::Gauge* depth = nullptr;
  prometheus::Counter* adds = nullptr;
  prometheus::Histogram* queue_duration = nullptr;  // seconds an item waited before a worker took it
  prometheus::Histogram* work_duration = nullptr;   // seconds a worker held it
  prometheus::Counter* retries = nullptr;
  prometheus::Gauge* unfinished_work_seconds = nullptr;
  prometheus::Gauge* longest_running_processor_seconds = nullptr;
};

// The metrics of one controller, under controller-runtime's names.
struct ReconcileMetrics {
  prometheus::Counter* success = nullptr;          // controller_runtime_reconcile_total{result="success"}
  prometheus::Counter* error = nullptr;            // {result="error"}
  prometheus::Counter* requeue = nullptr;          // {result="requeue"}
  prometheus::Counter* requeue_after = nullptr;    // {result="requeue_after"}
  prometheus::Counter* errors = nullptr;           // controller_runtime_reconcile_errors_total
  prometheus::Counter* terminal_errors = nullptr;  // controller_runtime_terminal_reconcile_errors_total
  prometheus::Histogram* time = nullptr;           // controller_runtime_reconcile_time_seconds
  prometheus::Gauge* active_workers = nullptr;     // controller_runtime_active_workers
  prometheus::Gauge* max_concurrent = nullptr;     // controller_runtime_max_concurrent_reconciles
};

// One registry per process, holding the families controller-runtime and client-go export
// under the names their users already chart, plus whatever components add through
// prometheus(). Families are created once; the label sets on first use. Thread-safe.
class Registry {
 public:
  Registry();

  QueueMetrics queue(const std::string& controller);
  ReconcileMetrics controller(const std::string& controller);
  // rest_client_requests_total{code, method, host}; code is "<error>" when no answer came.
  void count_request(std::string_view code, std::string_view method, std::string_view host);
  // leader_election_master_status{name}: 1 while this process holds the lease.
  void set_leader(const std::string& lease_name, bool leading);

  prometheus::Registry& prometheus() { return *registry_; }
  // The Prometheus text exposition (version 0.0.4) of every family.
  std::string scrape() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::mutex mu_;
  prometheus::Family<prometheus::Counter>* reconcile_total_;
  prometheus::Family<prometheus::Counter>* reconcile_errors_;
  prometheus::Family<prometheus::Counter>* terminal_errors_;
  prometheus::Family<prometheus::Histogram>* reconcile_time_;
  prometheus::Family<prometheus::Gauge>* active_workers_;
  prometheus::Family<prometheus::Gauge>* max_concurrent_;
  prometheus::Family<prometheus::Gauge>* depth_;
  prometheus::Family<prometheus::Counter>* adds_;
  prometheus::Family<prometheus::Histogram>* queue_duration_;
  prometheus::Family<prometheus::Histogram>* work_duration_;
  prometheus::Family<prometheus::Counter>* retries_;
  prometheus::Family<prometheus::Gauge>* unfinished_;
  prometheus::Family<prometheus::Gauge>* longest_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Gauge>* leader_;
};

}  // namespace sso::metrics
