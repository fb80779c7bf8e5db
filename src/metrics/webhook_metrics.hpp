#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include "metrics/registry.hpp"

namespace sso::metrics {

// The admission webhook's metrics. The request series carry controller-runtime's names and
// labels (pkg/webhook/internal/metrics), with `webhook` the path served, so the dashboards
// and alerts written for controller-runtime webhooks read ours; the decision counter is ours.
// Thread-safe.
class WebhookMetrics {
 public:
  explicit WebhookMetrics(Registry& registry);

  // Creates the series of one webhook path before its first request, as controller-runtime's
  // InstrumentedHook does: requests_total{code="200"} and {code="500"} at 0, in_flight at 0,
  // and the latency histogram.
  void add_webhook(const std::string& webhook);

  // controller_runtime_webhook_requests_in_flight{webhook}: +1 when a request to `webhook`
  // starts, -1 when it is answered.
  void request_started(const std::string& webhook);
  // controller_runtime_webhook_requests_total{webhook, code} and
  // controller_runtime_webhook_latency_seconds{webhook}, and the in-flight gauge back down.
  void request_finished(const std::string& webhook, int code, double seconds);

  // secureservice_admission_decisions_total{webhook, decision, reason}: decision is
  // "allowed", "denied" or "warned", reason the handler's (e.g. "MissingMount").
  void count_decision(const std::string& webhook, std::string_view decision, std::string_view reason);

 private:
  struct Series {
    prometheus::Histogram* latency = nullptr;
    prometheus::Gauge* in_flight = nullptr;
  };
  Series& series_locked(const std::string& webhook);

  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* latency_;
  prometheus::Family<prometheus::Gauge>* in_flight_;
  prometheus::Family<prometheus::Counter>* decisions_;
  std::mutex mu_;
  // Family::Add builds a new metric before it looks the labels up; a histogram per request
  // would be waste, so each path's histogram and gauge are kept here.
  std::map<std::string, Series, std::less<>> by_webhook_;
};

}  // namespace sso::metrics
