#include "metrics/registry.hpp"

#include <gmock/gmock.h>

namespace sso::metrics {
namespace {

using ::testing::HasSubstr;

TEST(Registry, ExportsControllerRuntimeNames) {
  Registry registry;
  auto reconcile = registry.controller("secureservice");
  reconcile.success->Increment();
  reconcile.errors->Increment();
  reconcile.time->Observe(0.02);
  auto queue = registry.queue("secureservice");
  queue.depth->Set(3);
  queue.adds->Increment(2);
  registry.count_request("200", "GET", "10.0.0.1:443");
  registry.set_leader("secureservice-operator", true);

  const std::string text = registry.scrape();
  EXPECT_THAT(text, HasSubstr("controller_runtime_reconcile_total{controller=\"secureservice\",result=\"success\"} 1"));
  EXPECT_THAT(text, HasSubstr("controller_runtime_reconcile_total{controller=\"secureservice\",result=\"error\"} 0"));
  EXPECT_THAT(text, HasSubstr("controller_runtime_reconcile_errors_total{controller=\"secureservice\"} 1"));
  EXPECT_THAT(
      text, HasSubstr("controller_runtime_reconcile_time_seconds_bucket{controller=\"secureservice\",le=\"0.025\"} 1"));
  EXPECT_THAT(text, HasSubstr("workqueue_depth{controller=\"secureservice\",name=\"secureservice\"} 3"));
  EXPECT_THAT(text, HasSubstr("workqueue_adds_total{controller=\"secureservice\",name=\"secureservice\"} 2"));
  EXPECT_THAT(text, HasSubstr("rest_client_requests_total{code=\"200\",host=\"10.0.0.1:443\",method=\"GET\"} 1"));
  EXPECT_THAT(text, HasSubstr("leader_election_master_status{name=\"secureservice-operator\"} 1"));
  registry.set_leader("secureservice-operator", false);
  EXPECT_THAT(registry.scrape(), HasSubstr("leader_election_master_status{name=\"secureservice-operator\"} 0"));
}

TEST(Registry, TheSameLabelsGiveTheSameSeries) {
  Registry registry;
  registry.queue("a").adds->Increment();
  registry.queue("a").adds->Increment();
  EXPECT_THAT(registry.scrape(), HasSubstr("workqueue_adds_total{controller=\"a\",name=\"a\"} 2"));
}

}  // namespace
}  // namespace sso::metrics
