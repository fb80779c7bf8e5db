#include "metrics/webhook_metrics.hpp"

#include <gmock/gmock.h>

namespace sso::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(WebhookMetrics, AddingAWebhookCreatesControllerRuntimesSeriesAtZero) {
  Registry registry;
  WebhookMetrics metrics(registry);
  metrics.add_webhook("/validate-pods");
  const std::string text = registry.scrape();
  EXPECT_THAT(text, HasSubstr("controller_runtime_webhook_requests_total{code=\"200\",webhook=\"/validate-pods\"} 0"));
  EXPECT_THAT(text, HasSubstr("controller_runtime_webhook_requests_total{code=\"500\",webhook=\"/validate-pods\"} 0"));
  EXPECT_THAT(text, HasSubstr("controller_runtime_webhook_requests_in_flight{webhook=\"/validate-pods\"} 0"));
  EXPECT_THAT(text, HasSubstr("controller_runtime_webhook_latency_seconds_count{webhook=\"/validate-pods\"} 0"));
  EXPECT_THAT(text, HasSubstr("# TYPE controller_runtime_webhook_latency_seconds histogram"));
  EXPECT_THAT(text, HasSubstr("# TYPE controller_runtime_webhook_requests_total counter"));
  EXPECT_THAT(text, HasSubstr("# TYPE controller_runtime_webhook_requests_in_flight gauge"));
}

TEST(WebhookMetrics, LatencyUsesControllerRuntimesExponentialBuckets) {
  Registry registry;
  WebhookMetrics metrics(registry);
  metrics.request_started("/validate-pods");
  metrics.request_finished("/validate-pods", 200, 0.003);
  const std::string text = registry.scrape();
  // prometheus.ExponentialBuckets(10e-9, 10, 12): 1e-08 .. 1000, then +Inf. The bounds come
  // from repeated multiplication, as in Go, so two of them print as a Go scrape shows them.
  const std::vector<std::pair<std::string, int>> buckets = {{"1e-08", 0},
                                                            {"1e-07", 0},
                                                            {"1e-06", 0},
                                                            {"9.999999999999999e-06", 0},
                                                            {"9.999999999999999e-05", 0},
                                                            {"0.001", 0},
                                                            {"0.01", 1},
                                                            {"0.1", 1},
                                                            {"1", 1},
                                                            {"10", 1},
                                                            {"100", 1},
                                                            {"1000", 1},
                                                            {"+Inf", 1}};
  for (const auto& [le, count] : buckets) {
    EXPECT_THAT(text, HasSubstr("controller_runtime_webhook_latency_seconds_bucket{webhook=\"/validate-pods\",le=\"" +
                                le + "\"} " + std::to_string(count)))
        << "le=" << le;
  }
  EXPECT_THAT(text, HasSubstr("controller_runtime_webhook_latency_seconds_count{webhook=\"/validate-pods\"} 1"));
  EXPECT_THAT(text, HasSubstr("controller_runtime_webhook_latency_seconds_sum{webhook=\"/validate-pods\"} 0.003"));
}

TEST(WebhookMetrics, RequestsAreCountedByPathAndCode) {
  Registry registry;
  WebhookMetrics metrics(registry);
  for (int code : {200, 200, 400, 413}) {
    metrics.request_started("/validate-pods");
    metrics.request_finished("/validate-pods", code, 0.001);
  }
  metrics.request_started("/validate-secureservices");
  metrics.request_finished("/validate-secureservices", 200, 0.001);
  const std::string text = registry.scrape();
  EXPECT_THAT(text, HasSubstr("controller_runtime_webhook_requests_total{code=\"200\",webhook=\"/validate-pods\"} 2"));
  EXPECT_THAT(text, HasSubstr("controller_runtime_webhook_requests_total{code=\"400\",webhook=\"/validate-pods\"} 1"));
  EXPECT_THAT(text, HasSubstr("controller_runtime_webhook_requests_total{code=\"413\",webhook=\"/validate-pods\"} 1"));
  EXPECT_THAT(
      text,
      HasSubstr("controller_runtime_webhook_requests_total{code=\"200\",webhook=\"/validate-secureservices\"} 1"));
  EXPECT_THAT(text, HasSubstr("controller_runtime_webhook_latency_seconds_count{webhook=\"/validate-pods\"} 4"));
}

TEST(WebhookMetrics, InFlightRisesWhileARequestIsBeingAnswered) {
  Registry registry;
  WebhookMetrics metrics(registry);
  metrics.request_started("/validate-pods");
  metrics.request_started("/validate-pods");
  EXPECT_THAT(registry.scrape(),
              HasSubstr("controller_runtime_webhook_requests_in_flight{webhook=\"/validate-pods\"} 2"));
  metrics.request_finished("/validate-pods", 200, 0.001);
  EXPECT_THAT(registry.scrape(),
              HasSubstr("controller_runtime_webhook_requests_in_flight{webhook=\"/validate-pods\"} 1"));
  metrics.request_finished("/validate-pods", 200, 0.001);
  EXPECT_THAT(registry.scrape(),
              HasSubstr("controller_runtime_webhook_requests_in_flight{webhook=\"/validate-pods\"} 0"));
}

TEST(WebhookMetrics, DecisionsAreCountedByDecisionAndReason) {
  Registry registry;
  WebhookMetrics metrics(registry);
  metrics.count_decision("/validate-pods", "denied", "MissingMount");
  metrics.count_decision("/validate-pods", "denied", "MissingMount");
  metrics.count_decision("/validate-pods", "allowed", "Compliant");
  metrics.count_decision("/validate-pods", "warned", "MissingMount");
  const std::string text = registry.scrape();
  EXPECT_THAT(text, HasSubstr("# TYPE secureservice_admission_decisions_total counter"));
  EXPECT_THAT(text, HasSubstr("secureservice_admission_decisions_total{decision=\"denied\",reason=\"MissingMount\","
                              "webhook=\"/validate-pods\"} 2"));
  EXPECT_THAT(text, HasSubstr("secureservice_admission_decisions_total{decision=\"allowed\",reason=\"Compliant\","
                              "webhook=\"/validate-pods\"} 1"));
  EXPECT_THAT(text, HasSubstr("secureservice_admission_decisions_total{decision=\"warned\",reason=\"MissingMount\","
                              "webhook=\"/validate-pods\"} 1"));
  EXPECT_THAT(text, Not(HasSubstr("decision=\"allowed\",reason=\"MissingMount\"")));
}

}  // namespace
}  // namespace sso::metrics
