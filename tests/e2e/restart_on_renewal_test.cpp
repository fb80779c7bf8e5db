// spec.tls.restartOnRenewal end to end (issue #10): the operator binary against the API test
// server; workloads and SecureServices applied with kubectl, what happened to them read back
// with kubectl, the patches counted in the server's request log.
#include <signal.h>

#include <set>

#include "kube/manifest_yaml.hpp"
#include "operator_process.hpp"
#include "workload_fixtures.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;

class RestartOnRenewalE2E : public OperatorClusterTest {
 protected:
  void SetUp() override {
    OperatorClusterTest::SetUp();
    if (HasFatalFailure()) return;
    kubectl_ok({"apply", "-f", std::string(SSO_EXAMPLES_DIR) + "/00-namespaces.yaml"});
    // ledger restarts its workloads; quiet does not. web belongs to no SecureService.
    const std::vector<json> objects = {
        workload("Deployment", "shop", "ledger-api", {{"app", "ledger"}, {"tier", "api"}}),
        workload("StatefulSet", "shop", "ledger-store", {{"app", "ledger"}, {"tier", "store"}}),
        workload("DaemonSet", "shop", "ledger-agent", {{"app", "ledger"}, {"tier", "agent"}}),
        workload("Deployment", "shop", "web", {{"app", "web"}}),
        workload("Deployment", "shop", "quiet", {{"app", "quiet"}}),
        secure_service_object("shop", "ledger", {{"tls", {{"restartOnRenewal", true}}}}),
        secure_service_object("shop", "quiet")};
    kubectl_ok({"apply", "-f", dir_.write("workloads.yaml", kube::write_manifests(objects))});
  }

  void start_operator() {
    port_ = free_port_pair();
    operator_ = std::make_unique<BackgroundProcess>(operator_argv(port_),
                                                    dir_.file("operator-" + std::to_string(port_) + ".log"));
  }

  json service(const std::string& name) {
    auto r = api_->get("/apis/secureservice.io/v1alpha1/namespaces/shop/secureservices/" + name);
    return r.code == 200 ? r.body : json(nullptr);
  }
  int64_t status_number(const std::string& name, const char* field) {
    const json s = service(name);
    if (!s.is_object()) return -1;
    return s.value("status", json::object()).value("certificate", json::object()).value(field, int64_t{-1});
  }

  // Each workload's certificate-revision annotation, as kubectl shows it.
  std::map<std::string, std::string> revisions() {
    std::map<std::string, std::string> out;
    const json list =
        json::parse(kubectl_ok({"get", "-n", "shop", "deployments,statefulsets,daemonsets", "-o", "json"}));
    for (const auto& item : list.value("items", json::array()))
      out[item.value("kind", "") + "/" + item["metadata"].value("name", "")] = certificate_revision_of(item);
    return out;
  }

  // Patches of workloads the server answered, by "kind-plural/name".
  std::multiset<std::string> workload_patches() {
    std::multiset<std::string> out;
    for (const auto& r : server_->api().request_log().snapshot())
      if (r.verb == "patch" && r.group == "apps" && r.code == 200) out.insert(r.resource + "/" + r.name);
    return out;
  }

  std::vector<std::string> event_messages(const std::string& reason) {
    std::vector<std::string> out;
    auto r = api_->get("/api/v1/namespaces/shop/events");
    for (const auto& e : r.body.value("items", json::array()))
      if (e.value("reason", "") == reason && e["involvedObject"].value("name", "") == "ledger")
        out.push_back(e.value("message", ""));
    return out;
  }

  void reissue(const std::string& name, const std::string& dns_name) {
    kubectl_ok({"patch", "-n", "shop", "secureservice", name, "--type=merge", "-p",
                R"({"spec": {"tls": {"dnsNames": [")" + dns_name + R"("]}}})"});
  }

  std::unique_ptr<BackgroundProcess> operator_;
  uint16_t port_ = 0;
};

const std::map<std::string, std::string> kNoneRestarted = {{"DaemonSet/ledger-agent", ""},
                                                           {"Deployment/ledger-api", ""},
                                                           {"Deployment/quiet", ""},
                                                           {"Deployment/web", ""},
                                                           {"StatefulSet/ledger-store", ""}};

TEST_F(RestartOnRenewalE2E, EachReissueRestartsTheSelectedWorkloadsOnceAndNothingElse) {
  start_operator();
  // The first certificate replaces none: nothing restarted, the revision recorded as done.
  ASSERT_TRUE(
      eventually([&] { return status_number("ledger", "restartedForRevision") == 1; }, std::chrono::seconds(30)))
      << service("ledger").dump() << operator_->output().substr(0, 4000);
  ASSERT_TRUE(eventually([&] { return status_number("quiet", "revision") == 1; }));
  EXPECT_EQ(status_number("quiet", "restartedForRevision"), -1) << "recorded only with the option";
  EXPECT_EQ(revisions(), kNoneRestarted);

  reissue("ledger", "ledger.example.com");
  reissue("quiet", "quiet.example.com");
  ASSERT_TRUE(eventually([&] { return status_number("ledger", "restartedForRevision") == 2; }))
      << service("ledger").dump() << operator_->output().substr(0, 4000);
  ASSERT_TRUE(eventually([&] { return status_number("quiet", "revision") == 2; }));
  std::map<std::string, std::string> expected = kNoneRestarted;
  for (const char* w : {"DaemonSet/ledger-agent", "Deployment/ledger-api", "StatefulSet/ledger-store"})
    expected[w] = "2";
  EXPECT_EQ(revisions(), expected) << "only the workloads ledger selects, for its revision 2";
  // Events are written by the recorder's own thread: soon, not necessarily yet.
  ASSERT_TRUE(eventually([&] { return event_messages("WorkloadsRestarted").size() == 1; }));
  const auto events = event_messages("WorkloadsRestarted");
  for (const char* w : {"Deployment/ledger-api", "StatefulSet/ledger-store", "DaemonSet/ledger-agent"})
    EXPECT_NE(events[0].find(w), std::string::npos) << events[0];
  EXPECT_EQ(events[0].find("web"), std::string::npos) << events[0];

  // A workload created now is not restarted by reconciles that issue nothing: an edit that
  // changes no certificate, and a whole new operator process going through every service.
  kubectl_ok({"apply", "-f",
              dir_.write("late.yaml",
                         kube::write_manifests({workload("Deployment", "shop", "ledger-late", {{"app", "ledger"}})}))});
  kubectl_ok({"patch", "-n", "shop", "secureservice", "ledger", "--type=merge", "-p",
              R"({"spec": {"admission": {"mode": "Audit"}}})"});
  ASSERT_TRUE(eventually([&] {
    const json s = service("ledger");
    return s["status"].value("observedGeneration", 0) == s["metadata"].value("generation", -1);
  }));
  operator_->signal(SIGTERM);
  ASSERT_EQ(operator_->wait(std::chrono::seconds(20)), 0);
  start_operator();
  std::string metrics;
  ASSERT_TRUE(eventually(
      [&] {
        return http_code(port_ + 1, "/metrics", &metrics) == 200 &&
               metrics.find("secureservice_certificate_expiration_timestamp_seconds{name=\"quiet\"") !=
                   std::string::npos &&
               metrics.find("secureservice_certificate_expiration_timestamp_seconds{name=\"ledger\"") !=
                   std::string::npos;
      },
      std::chrono::seconds(30)))
      << metrics;
  expected["Deployment/ledger-late"] = "";
  EXPECT_EQ(revisions(), expected);
  EXPECT_EQ(workload_patches(), (std::multiset<std::string>{"daemonsets/ledger-agent", "deployments/ledger-api",
                                                            "statefulsets/ledger-store"}))
      << "each selected workload patched once";

  // The next issuance restarts every selected workload again, the late one too.
  reissue("ledger", "ledger.example.org");
  ASSERT_TRUE(eventually([&] { return status_number("ledger", "restartedForRevision") == 3; }));
  for (const char* w :
       {"DaemonSet/ledger-agent", "Deployment/ledger-api", "StatefulSet/ledger-store", "Deployment/ledger-late"})
    expected[w] = "3";
  EXPECT_EQ(revisions(), expected);
  EXPECT_EQ(workload_patches().size(), 7u);
}

// A patch the server refuses is reported and retried; what was restarted before it is not
// restarted again, and the status records the revision only once every workload has it.
TEST_F(RestartOnRenewalE2E, AFailedRestartIsReportedAndRetriedWithoutRestartingAnyWorkloadTwice) {
  start_operator();
  ASSERT_TRUE(
      eventually([&] { return status_number("ledger", "restartedForRevision") == 1; }, std::chrono::seconds(30)))
      << operator_->output().substr(0, 4000);
  server_->faults().fail_next("patch", "statefulsets", 2, 500);
  reissue("ledger", "ledger.example.com");
  ASSERT_TRUE(eventually([&] { return !event_messages("RestartFailed").empty(); }))
      << operator_->output().substr(0, 4000);
  EXPECT_NE(event_messages("RestartFailed")[0].find("StatefulSet/ledger-store"), std::string::npos)
      << event_messages("RestartFailed")[0];
  ASSERT_TRUE(eventually([&] { return status_number("ledger", "restartedForRevision") == 2; }))
      << operator_->output().substr(0, 4000);
  EXPECT_EQ(revisions()["StatefulSet/ledger-store"], "2");
  EXPECT_EQ(revisions()["DaemonSet/ledger-agent"], "2");
  EXPECT_EQ(workload_patches(), (std::multiset<std::string>{"daemonsets/ledger-agent", "deployments/ledger-api",
                                                            "statefulsets/ledger-store"}));
  // Every workload is named by a WorkloadsRestarted Event, the Deployment before the failure.
  std::string named;
  auto names_every_workload = [&] {
    named.clear();
    for (const auto& m : event_messages("WorkloadsRestarted")) named += m + "\n";
    for (const char* w : {"Deployment/ledger-api", "StatefulSet/ledger-store", "DaemonSet/ledger-agent"})
      if (named.find(w) == std::string::npos) return false;
    return true;
  };
  EXPECT_TRUE(eventually(names_every_workload)) << named;
}

}  // namespace
}  // namespace sso::testing
