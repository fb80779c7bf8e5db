#include "metrics/webhook_metrics.hpp"

namespace sso::metrics {
namespace {

// controller-runtime's webhook latency buckets: prometheus.ExponentialBuckets(10e-9, 10, 12),
// 10 ns to 1000 s.
prometheus::Histogram::BucketBoundaries latency_buckets() {
  prometheus::Histogram::BucketBoundaries b;
  double v = 1e-8;
  for (int i = 0; i < 12; ++i, v *= 10) b.push_back(v);
  return b;
}

}  // namespace

WebhookMetrics::WebhookMetrics(Registry& registry) {
  auto& r = registry.prometheus();
  requests_ = &prometheus::BuildCounter()
                   .Name("controller_runtime_webhook_requests_total")
                   .Help("Total number of admission requests by HTTP status code.")
                   .Register(r);
  latency_ = &prometheus::BuildHistogram()
                  .Name("controller_runtime_webhook_latency_seconds")
                  .Help("Histogram of the latency of processing admission requests")
                  .Register(r);
  in_flight_ = &prometheus::BuildGauge()
                    .Name("controller_runtime_webhook_requests_in_flight")
                    .Help("Current number of admission requests being served.")
                    .Register(r);
  decisions_ = &prometheus::BuildCounter()
                    .Name("secureservice_admission_decisions_total")
                    .Help("Admission requests answered, by webhook, decision (allowed, denied, warned) and reason.")
                    .Register(r);
}

WebhookMetrics::Series& WebhookMetrics::series_locked(const std::string& webhook) {
  auto it = by_webhook_.find(webhook);
  if (it == by_webhook_.end()) {
    Series series;
    series.latency = &latency_->Add({{"webhook", webhook}}, latency_buckets());
    series.in_flight = &in_flight_->Add({{"webhook", webhook}});
    it = by_webhook_.emplace(webhook, series).first;
  }
  return it->second;
}

void WebhookMetrics::add_webhook(const std::string& webhook) {
  std::lock_guard lock(mu_);
  series_locked(webhook);
  requests_->Add({{"webhook", webhook}, {"code", "200"}});
  requests_->Add({{"webhook", webhook}, {"code", "500"}});
}

void WebhookMetrics::request_started(const std::string& webhook) {
  std::lock_guard lock(mu_);
  series_locked(webhook).in_flight->Increment();
}

void WebhookMetrics::request_finished(const std::string& webhook, int code, double seconds) {
  std::lock_guard lock(mu_);
  Series& series = series_locked(webhook);
  requests_->Add({{"webhook", webhook}, {"code", std::to_string(code)}}).Increment();
  series.latency->Observe(seconds);
  series.in_flight->Decrement();
}

void WebhookMetrics::count_decision(const std::string& webhook, std::string_view decision, std::string_view reason) {
  std::lock_guard lock(mu_);
  decisions_->Add({{"webhook", webhook}, {"decision", std::string(decision)}, {"reason", std::string(reason)}})
      .Increment();
}

}  // namespace sso::metrics
