// The operator's `run` command as a process against the API test server: probes, metrics
// checked by promtool, one leader among two replicas, and SIGTERM ending in exit 0 with the
// Lease released.
#include <signal.h>

#include "api_test_client.hpp"
#include "kube_test_server.hpp"
#include "operator_process.hpp"
#include "process.hpp"

namespace sso::testing {
namespace {

using ::testing::HasSubstr;

class OperatorRun : public OperatorClusterTest {
 protected:
  std::unique_ptr<BackgroundProcess> start_operator(const std::string& name, uint16_t port) {
    return std::make_unique<BackgroundProcess>(
        operator_argv(
            port, {"--leader-elect", "--leader-election-namespace", "default", "--leader-elect-lease-duration", "2s",
                   "--leader-elect-renew-deadline", "1500ms", "--leader-elect-retry-period", "200ms"}),
        dir_.file(name + ".log"));
  }

  std::string holder() {
    auto lease = api_->get("/apis/coordination.k8s.io/v1/namespaces/default/leases/secureservice-operator");
    return lease.code == 200 ? lease.body["spec"].value("holderIdentity", "") : "<none>";
  }
};

TEST_F(OperatorRun, ServesProbesAndMetricsThatPromtoolAccepts) {
  const uint16_t port = free_port_pair();
  auto op = start_operator("solo", port);
  ASSERT_TRUE(eventually([&] { return http_code(port, "/readyz") == 200; })) << op->output();
  EXPECT_EQ(http_code(port, "/healthz"), 200);
  std::string metrics;
  ASSERT_TRUE(eventually([&] {
    return http_code(port + 1, "/metrics", &metrics) == 200 &&
           metrics.find("leader_election_master_status{name=\"secureservice-operator\"} 1") != std::string::npos;
  })) << metrics;
  const auto check = run_process({SSO_PROMTOOL_BIN, "check", "metrics"}, metrics);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  // Created: the Lease, the cluster CA Secret, Events; a POST answered 201 is counted by code.
  EXPECT_THAT(metrics, HasSubstr("rest_client_requests_total{code=\"201\",host=\"127.0.0.1:" +
                                 std::to_string(server_->port()) + "\",method=\"POST\"} "));

  op->signal(SIGTERM);
  EXPECT_EQ(op->wait(std::chrono::seconds(10)), 0) << op->output();
  EXPECT_EQ(holder(), "") << "the lease is released on SIGTERM";
  EXPECT_THAT(op->output(), HasSubstr("\"msg\":\"stopped cleanly\""));
}

TEST_F(OperatorRun, OneOfTwoReplicasLeadsAndTheOtherTakesOverOnSigterm) {
  const uint16_t a_port = free_port_pair();
  const uint16_t b_port = free_port_pair({a_port, static_cast<uint16_t>(a_port + 1)});
  auto a = start_operator("a", a_port);
  ASSERT_TRUE(eventually([&] { return !holder().empty() && holder() != "<none>"; })) << a->output();
  const std::string first = holder();
  auto b = start_operator("b", b_port);
  ASSERT_TRUE(eventually([&] { return http_code(b_port, "/readyz") == 200; })) << "a follower is ready";
  std::string b_metrics;
  ASSERT_EQ(http_code(b_port + 1, "/metrics", &b_metrics), 200);
  EXPECT_THAT(b_metrics, HasSubstr("leader_election_master_status{name=\"secureservice-operator\"} 0"));
  EXPECT_EQ(holder(), first);

  a->signal(SIGTERM);
  EXPECT_EQ(a->wait(std::chrono::seconds(10)), 0) << a->output();
  ASSERT_TRUE(eventually([&] { return holder() != first && !holder().empty(); })) << b->output();
  ASSERT_TRUE(eventually([&] {
    return http_code(b_port + 1, "/metrics", &b_metrics) == 200 &&
           b_metrics.find("leader_election_master_status{name=\"secureservice-operator\"} 1") != std::string::npos;
  }));
  b->signal(SIGTERM);
  EXPECT_EQ(b->wait(std::chrono::seconds(10)), 0) << b->output();
}

TEST_F(OperatorRun, ABrokenKubeconfigIsOneLineNamingTheFileAndExits1) {
  const std::string broken = dir_.write("broken", "apiVersion: v1\nkind: Config\ncurrent-context: nope\n");
  const auto r = run_process({SSO_OPERATOR_BIN, "run", "--kubeconfig", broken});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(broken));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(OperatorRun, BadFlagsAreUsageErrors) {
  EXPECT_EQ(run_process({SSO_OPERATOR_BIN, "run", "--log-format", "xml"}).exit_code, 2);
  EXPECT_EQ(run_process({SSO_OPERATOR_BIN, "run", "--leader-elect-retry-period", "soon"}).exit_code, 2);
  EXPECT_EQ(run_process({SSO_OPERATOR_BIN, "run", "--no-such-flag"}).exit_code, 2);
}

}  // namespace
}  // namespace sso::testing
