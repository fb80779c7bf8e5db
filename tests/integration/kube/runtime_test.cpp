#include "kube/runtime.hpp"

#include <gmock/gmock.h>

#include <atomic>
#include <thread>
#include "http_get.hpp"

#include "kube/rest_client.hpp"
#include "metrics/registry.hpp"
#include "process.hpp"
#include "status_matchers.hpp"
#include "test_server_fixture.hpp"

namespace sso::kube {
namespace {

using nlohmann::json;
using sso::testing::ApiServerTest;
using sso::testing::eventually;
using sso::testing::IsOk;

using Reply = sso::testing::HttpGetReply;

Reply http_get(uint16_t port, const std::string& path) {
  return sso::testing::http_get("http://127.0.0.1:" + std::to_string(port) + path);
}

// One replica of a small operator: it mirrors every ConfigMap labelled role=source into
// "<name>-mirror", through the runtime's informer, controller and (optionally) election.
class Replica {
 public:
  Replica(const kube::ClusterConfig& config, const std::string& ns, const std::string& identity, bool elect) {
    RestClient::Options client_options;
    client_options.metrics = &metrics_;
    auto client = RestClient::create(config, client_options);
    EXPECT_THAT(client, IsOk());
    client_ = std::move(*client);
    RuntimeOptions options;
    options.health_probe_bind_address = "127.0.0.1:0";
    options.metrics_bind_address = "127.0.0.1:0";
    options.metrics_secure = false;  // scraped without a token here; metrics_endpoint_test covers the secure endpoint
    options.graceful_shutdown_timeout = std::chrono::seconds(10);
    options.workers = 2;
    if (elect) {
      LeaderElectionConfig le;
      le.lease_namespace = ns;
      le.lease_name = "mirror-operator";
      le.identity = identity;
      le.lease_duration = std::chrono::milliseconds(1500);
      le.renew_deadline = std::chrono::milliseconds(1000);
      le.retry_period = std::chrono::milliseconds(200);
      options.leader_election = le;
    }
    runtime_ = std::make_unique<Runtime>(*client_, metrics_, options);
    InformerOptions io;
    io.type = resources::config_maps();
    io.ns = ns;
    io.label_selector = "role=source";
    auto& informer = runtime_->add_informer(io);
    auto& controller = runtime_->add_controller(
        "mirror", [this, &informer](const std::string& key) { return reconcile(informer, key); });
    runtime_->enqueue(informer, controller);
  }
  ~Replica() { (void)stop(); }

  void start() {
    thread_ = std::thread([this] { result_ = runtime_->run(stop_); });
  }
  Status stop() {
    stop_.notify();
    if (thread_.joinable()) thread_.join();
    return result_;
  }

  Runtime& runtime() { return *runtime_; }
  metrics::Registry& metrics() { return metrics_; }
  std::atomic<int> reconciles{0};
  std::atomic<bool> block{false};
  std::atomic<bool> in_reconcile{false};
  std::atomic<bool> finished_blocked_reconcile{false};

 private:
  Result<ReconcileResult> reconcile(const Informer& informer, const std::string& key) {
    ++reconciles;
    in_reconcile = true;
    if (block) {
      eventually([this] { return !block.load(); }, std::chrono::seconds(20));
      finished_blocked_reconcile = true;
    }
    in_reconcile = false;
    auto source = informer.cache().get(key);
    if (!source) return ReconcileResult{};
    json mirror = {{"apiVersion", "v1"},
                   {"kind", "ConfigMap"},
                   {"metadata", {{"name", name_of(*source) + "-mirror"}, {"namespace", namespace_of(*source)}}},
                   {"data", source->value("data", json::object())}};
    SSO_RETURN_IF_ERROR(client_->apply(resources::config_maps(), mirror, "mirror-operator"));
    runtime_->events().record(*source, EventType::kNormal, "Mirrored", "copied into " + name_of(mirror));
    return ReconcileResult{};
  }

  metrics::Registry metrics_;
  std::unique_ptr<RestClient> client_;
  std::unique_ptr<Runtime> runtime_;
  StopSignal stop_;
  Status result_;
  std::thread thread_;
};

class RuntimeTest : public ApiServerTest {
 protected:
  void create_source(const std::string& name, const std::string& value = "v") {
    auto r = api().post(ns_path("configmaps"), config_map(name, {{"k", value}}, {{"role", "source"}}));
    ASSERT_EQ(r.code, 201) << r.body.dump();
  }
  bool mirrored(const std::string& name, const std::string& value = "v") {
    return eventually([&] {
      auto r = api().get(ns_path("configmaps/" + name + "-mirror"));
      return r.code == 200 && r.body["data"]["k"] == value;
    });
  }
  json lease() { return api().get("/apis/coordination.k8s.io/v1/namespaces/" + ns() + "/leases/mirror-operator").body; }
};

TEST_F(RuntimeTest, ReconcilesServesProbesAndMetricsAndStopsCleanly) {
  create_source("a");
  Replica replica(admin_config(), ns(), "solo", false);
  replica.start();
  ASSERT_TRUE(mirrored("a"));
  create_source("b", "w");
  ASSERT_TRUE(mirrored("b", "w"));

  const uint16_t health = replica.runtime().health_port();
  EXPECT_EQ(http_get(health, "/healthz").code, 200);
  EXPECT_TRUE(eventually([&] { return http_get(health, "/readyz").code == 200; }));
  EXPECT_EQ(http_get(health, "/nope").code, 404);

  const Reply metrics = http_get(replica.runtime().metrics_port(), "/metrics");
  ASSERT_EQ(metrics.code, 200);
  EXPECT_THAT(metrics.body,
              ::testing::HasSubstr("controller_runtime_reconcile_total{controller=\"mirror\",result=\"success\"}"));
  EXPECT_THAT(metrics.body, ::testing::HasSubstr("workqueue_adds_total{controller=\"mirror\",name=\"mirror\"}"));
  EXPECT_THAT(metrics.body, ::testing::HasSubstr("rest_client_requests_total{code=\"200\""));
  const auto promtool = sso::testing::run_process({SSO_PROMTOOL_BIN, "check", "metrics"}, metrics.body);
  EXPECT_EQ(promtool.exit_code, 0) << promtool.out << promtool.err;

  EXPECT_THAT(replica.stop(), IsOk());
  EXPECT_NE(http_get(health, "/healthz").code, 200) << "the probe server stops with the runtime";
  const auto events = api().get(ns_path("events")).body["items"];
  ASSERT_FALSE(events.empty()) << "events recorded by the reconciler are written by the time run() returns";
  EXPECT_EQ(events[0]["reason"], "Mirrored");
  EXPECT_EQ(events[0]["involvedObject"]["kind"], "ConfigMap");
}

TEST_F(RuntimeTest, RetriesThroughConflictsAndThrottlingUntilTheWorldConverges) {
  create_source("a", "first");
  // The list is throttled once (the client waits out Retry-After), and the reconciler's
  // writes meet two conflicts: each is an error retried with backoff, none is lost.
  server_->faults().fail_next("list", "configmaps", 1, 429, 1);
  server_->faults().fail_next("patch", "configmaps", 2, 409);
  Replica replica(admin_config(), ns(), "solo", false);
  replica.start();
  ASSERT_TRUE(mirrored("a", "first"));
  EXPECT_GE(replica.reconciles.load(), 3);
  EXPECT_THAT(replica.metrics().scrape(),
              ::testing::HasSubstr("controller_runtime_reconcile_errors_total{controller=\"mirror\"} 2"));
  // A change made while the watch is cut still arrives.
  server_->api().store().close_all_watches();
  ASSERT_EQ(api().patch(ns_path("configmaps/a"), R"({"data":{"k":"second"}})").code, 200);
  EXPECT_TRUE(mirrored("a", "second"));
}

TEST_F(RuntimeTest, IsNotReadyUntilItsCachesSync) {
  server_->faults().fail_next("list", "configmaps", 1000, 500);
  Replica replica(admin_config(), ns(), "solo", false);
  replica.start();
  ASSERT_TRUE(eventually([&] { return replica.runtime().health_port() != 0; }));
  EXPECT_TRUE(eventually([&] { return http_get(replica.runtime().health_port(), "/healthz").code == 200; }));
  EXPECT_EQ(http_get(replica.runtime().health_port(), "/readyz").code, 503);
  server_->faults().clear();
  EXPECT_TRUE(eventually([&] { return http_get(replica.runtime().health_port(), "/readyz").code == 200; }));
}

TEST_F(RuntimeTest, OnlyTheLeaderReconcilesAndAFollowerTakesOver) {
  Replica first(admin_config(), ns(), "first", true);
  first.start();
  ASSERT_TRUE(eventually([&] { return first.runtime().leading(); }));
  Replica second(admin_config(), ns(), "second", true);
  second.start();
  ASSERT_TRUE(eventually([&] { return second.runtime().ready(); })) << "a follower is ready: its caches are warm";

  create_source("a");
  ASSERT_TRUE(mirrored("a"));
  EXPECT_FALSE(second.runtime().leading());
  EXPECT_EQ(second.reconciles.load(), 0) << "a follower does not reconcile";
  EXPECT_EQ(lease()["spec"]["holderIdentity"], "first");

  EXPECT_THAT(first.stop(), IsOk());
  ASSERT_TRUE(eventually([&] { return second.runtime().leading(); }));
  create_source("b");
  EXPECT_TRUE(mirrored("b"));
  EXPECT_GT(second.reconciles.load(), 0);
  EXPECT_EQ(lease()["spec"]["holderIdentity"], "second");
  EXPECT_THAT(second.metrics().scrape(),
              ::testing::HasSubstr("leader_election_master_status{name=\"mirror-operator\"} 1"));
}

// A follower's queues stay empty (its queue metrics must not show work nobody does), and the
// new leader still reconciles everything it cached while following: here a mirror deleted
// while nobody watched it is put back at the takeover.
TEST_F(RuntimeTest, AFollowersQueueStaysEmptyAndTheNewLeaderReconcilesWhatItCached) {
  Replica first(admin_config(), ns(), "first", true);
  first.start();
  ASSERT_TRUE(eventually([&] { return first.runtime().leading(); }));
  Replica second(admin_config(), ns(), "second", true);
  second.start();
  ASSERT_TRUE(eventually([&] { return second.runtime().ready(); }));
  create_source("a");
  create_source("b");
  ASSERT_TRUE(mirrored("a"));
  ASSERT_TRUE(mirrored("b"));
  EXPECT_THAT(second.metrics().scrape(),
              ::testing::HasSubstr("workqueue_depth{controller=\"mirror\",name=\"mirror\"} 0"));
  EXPECT_THAT(second.metrics().scrape(),
              ::testing::HasSubstr("workqueue_adds_total{controller=\"mirror\",name=\"mirror\"} 0"));

  // The mirrors are not watched: deleting one goes unnoticed until a source is reconciled.
  ASSERT_EQ(api().del(ns_path("configmaps/a-mirror")).code, 200);
  EXPECT_THAT(first.stop(), IsOk());
  ASSERT_TRUE(eventually([&] { return second.runtime().leading(); }));
  EXPECT_TRUE(mirrored("a")) << "the new leader reconciles the sources it cached as a follower";
}

TEST_F(RuntimeTest, StopWaitsForTheReconcileInFlightThenReleasesTheLease) {
  Replica replica(admin_config(), ns(), "drainer", true);
  replica.block = true;
  replica.start();
  ASSERT_TRUE(eventually([&] { return replica.runtime().leading(); }));
  create_source("slow");
  ASSERT_TRUE(eventually([&] { return replica.in_reconcile.load(); }));

  std::thread stopper([&] { EXPECT_THAT(replica.stop(), IsOk()); });
  // The lease is still held while the reconcile runs.
  ASSERT_TRUE(eventually([&] { return lease()["spec"].value("holderIdentity", "") == "drainer"; }));
  EXPECT_FALSE(replica.finished_blocked_reconcile.load());
  replica.block = false;
  stopper.join();
  EXPECT_TRUE(replica.finished_blocked_reconcile.load());
  EXPECT_EQ(lease()["spec"].value("holderIdentity", ""), "") << "released on a clean shutdown";
}

}  // namespace
}  // namespace sso::kube
