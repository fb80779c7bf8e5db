// Faults survived, nothing lost: while 200 SecureServices are created, edited and deleted, the
// API test server drops every watch, compacts its history (410 on resume), answers 429 with
// Retry-After, 500 and 409, refuses watches, adds seconds of latency, and restarts (every
// connection dropped). Once the faults stop,
// everything converges: every SecureService Ready for its latest generation, every owned
// object exactly what `render` (the controller's own builders, offline) says it should be,
// no orphan left, and a quiet operator that writes nothing more.
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "base/time.hpp"
#include "kube/manifest_yaml.hpp"
#include "operator_process.hpp"

namespace sso::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr int kServices = 200;
constexpr int kEdited = 60;   // svc-0 .. svc-59 gain a port
constexpr int kDeleted = 40;  // svc-160 .. svc-199 go
const std::vector<std::string> kNamespaces = {"faults-a", "faults-b", "faults-c", "faults-d"};
// What the operator writes for a SecureService, besides its Secret (checked elsewhere).
const std::vector<std::string> kPolicyKinds = {"NetworkPolicy", "PeerAuthentication", "AuthorizationPolicy",
                                               "DestinationRule"};

std::string ns_of(int i) { return kNamespaces[static_cast<size_t>(i) % kNamespaces.size()]; }
std::string name_of(int i) { return "svc-" + std::to_string(i); }

json service(int i, bool edited) {
  const int client = (i + 5) % (kServices - kDeleted);
  json ports = {{{"name", "https"}, {"port", 8443}}};
  if (edited) ports.push_back({{"name", "metrics"}, {"port", 9090}});
  // A client that is never deleted, in another namespace.
  json spec = {{"ports", ports},
               {"allowedClients", {{{"secureService", name_of(client)}, {"namespace", ns_of(client)}}}}};
  if (i % 2 == 0) spec["mesh"] = {{"provider", "Istio"}};
  return secure_service_object(ns_of(i), name_of(i), spec);
}

class ApiFaultsE2E : public OperatorClusterTest {
 protected:
  void SetUp() override {
    OperatorClusterTest::SetUp();
    if (HasFatalFailure()) return;
    kubectl_ok({"apply", "-f", SSO_MESH_CRDS});
    for (const auto& ns : kNamespaces)
      ASSERT_EQ(api_->post("/api/v1/namespaces", {{"metadata", {{"name", ns}}}}).code, 201);
    operator_kubeconfig_ = kubeconfig_for_user("operator");
  }

  void TearDown() override {
    stop_faults();
    server_->faults().clear();
  }

  std::string path(int i, bool named = true) const {
    return "/apis/secureservice.io/v1alpha1/namespaces/" + ns_of(i) + "/secureservices" +
           (named ? "/" + name_of(i) : "");
  }

  // The test's own requests meet the faults too; it retries them as a kubectl user would.
  ApiTestClient::Response retried(const std::function<ApiTestClient::Response()>& call, std::set<int> done) {
    ApiTestClient::Response r;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        r = call();
      } catch (const std::exception& e) {
        r.code = 0;  // the connection broke: the server restarted under it
        r.body = e.what();
      }
      if (done.count(r.code)) return r;
      std::this_thread::sleep_for(100ms);
    }
    return r;
  }

  // One fault after another until stop_faults(), every few hundred milliseconds.
  void start_faults() {
    faults_ = std::thread([this] {
      auto& faults = server_->faults();
      auto& store = server_->api().store();
      for (int round = 0; !stop_.load(); ++round) {
        switch (round % 9) {
          case 0: store.close_all_watches(); break;
          case 1: faults.fail_next("create", "*", 5, 500); break;
          case 2: faults.fail_next("*", "*", 8, 429, 1); break;
          case 3:
            faults.fail_next("update", "*", 5, 409);
            faults.fail_next("patch", "*", 5, 409);
            break;
          case 4:
            store.compact();  // watches resuming from before now get 410 Gone
            store.close_all_watches();
            break;
          case 5:
            faults.set_latency(1500ms);
            std::this_thread::sleep_for(2s);
            faults.set_latency(0ms);
            break;
          case 6: faults.fail_next("watch", "*", 5, 500); break;  // watches that cannot even start
          case 7: faults.fail_next("list", "*", 3, 500); break;
          case 8:
            if (Status restarted = server_->restart(); !restarted.ok()) {
              std::lock_guard lock(mu_);
              fault_errors_.push_back(restarted.error().describe());
            }
            break;
        }
        ++injected_;
        std::this_thread::sleep_for(300ms);
      }
    });
  }
  void stop_faults() {
    stop_ = true;
    if (faults_.joinable()) faults_.join();
  }

  // SecureServices not Ready=True for their latest generation.
  std::vector<std::string> unconverged() {
    std::vector<std::string> out;
    for (const auto& ns : kNamespaces) {
      const json list = api_->get("/apis/secureservice.io/v1alpha1/namespaces/" + ns + "/secureservices").body;
      for (const auto& s : list.value("items", json::array())) {
        const auto generation = s["metadata"].value("generation", 0);
        bool ready = false;
        for (const auto& c : s.value("status", json::object()).value("conditions", json::array()))
          ready = ready || (c.value("type", "") == "Ready" && c.value("status", "") == "True" &&
                            c.value("observedGeneration", -1) == generation);
        if (!ready) out.push_back(ns + "/" + s["metadata"].value("name", ""));
      }
    }
    return out;
  }

  std::string operator_kubeconfig_;
  std::thread faults_;
  std::atomic<bool> stop_{false};
  std::atomic<int> injected_{0};
  std::mutex mu_;
  std::vector<std::string> fault_errors_;  // guarded by mu_
};

TEST_F(ApiFaultsE2E, EverythingConvergesAfterWatchDropsCompactionThrottlingErrorsLatencyAndRestarts) {
  auto argv = operator_argv(free_port_pair());
  argv[std::find(argv.begin(), argv.end(), "--kubeconfig") - argv.begin() + 1] = operator_kubeconfig_;
  BackgroundProcess operator_process(argv, dir_.file("operator.log"));

  start_faults();
  for (int i = 0; i < kServices; ++i)
    ASSERT_THAT(retried([&] { return api_->post(path(i, false), service(i, false)); }, {201, 409}).code,
                ::testing::AnyOf(201, 409));  // 409: an earlier attempt got through
  std::this_thread::sleep_for(2s);            // some are issued, some are not yet
  for (int i = 0; i < kEdited; ++i) {
    const auto r = retried(
        [&] {
          return api_->patch(path(i), json{{"spec", {{"ports", service(i, true)["spec"]["ports"]}}}}.dump(),
                             "application/merge-patch+json");
        },
        {200});
    ASSERT_EQ(r.code, 200) << name_of(i) << " " << r.body.dump().substr(0, 300);
  }
  for (int i = kServices - kDeleted; i < kServices; ++i)
    ASSERT_THAT(retried([&] { return api_->del(path(i)); }, {200, 404}).code, ::testing::AnyOf(200, 404));
  std::this_thread::sleep_for(3s);
  stop_faults();
  server_->faults().clear();
  EXPECT_GE(injected_.load(), 9) << "every kind of fault was injected at least once";
  EXPECT_THAT(fault_errors_, ::testing::IsEmpty()) << "the API test server failed to restart";

  ASSERT_TRUE(eventually([&] { return unconverged().empty(); }, 120s))
      << unconverged().size() << " not converged, e.g. " << (unconverged().empty() ? "" : unconverged().front()) << "\n"
      << operator_process.output().substr(0, 3000);

  // Every owned object as the controller's builders make it for the SecureServices that remain.
  std::string input;
  for (int i = 0; i < kServices - kDeleted; ++i) input += service(i, i < kEdited).dump() + "\n---\n";
  const auto rendered = run_process({SSO_OPERATOR_BIN, "render", "-f", "-"}, input);
  ASSERT_EQ(rendered.exit_code, 0) << rendered.err;  // stdout holds private keys: never printed
  auto objects = kube::read_manifests(rendered.out, "render output");
  ASSERT_TRUE(objects.ok());
  std::set<std::string> expected;  // kind namespace/name
  for (const auto& object : *objects) {
    const std::string kind = object.value("kind", "");
    if (std::find(kPolicyKinds.begin(), kPolicyKinds.end(), kind) == kPolicyKinds.end()) continue;
    const std::string where =
        kind + " " + object["metadata"].value("namespace", "") + "/" + object["metadata"].value("name", "");
    expected.insert(where);
    const auto live = api_->get(path_of(object));
    ASSERT_EQ(live.code, 200) << where << " is missing";
    EXPECT_EQ(live.body["spec"], object["spec"]) << where << " differs from what render builds";
  }
  EXPECT_GT(expected.size(), static_cast<size_t>(kServices - kDeleted)) << "render built the policies";

  // No orphan: every policy object and identity Secret in the namespaces belongs to a
  // SecureService that remains, and every remaining one has its Secret.
  for (const auto& ns : kNamespaces) {
    for (const auto& kind : kPolicyKinds) {
      const json probe = {{"apiVersion", kind == "NetworkPolicy"     ? "networking.k8s.io/v1"
                                         : kind == "DestinationRule" ? "networking.istio.io/v1"
                                                                     : "security.istio.io/v1"},
                          {"kind", kind},
                          {"metadata", {{"namespace", ns}}}};
      const std::string list_path = path_of(probe);
      ASSERT_FALSE(list_path.empty()) << kind;
      for (const auto& o : api_->get(list_path).body.value("items", json::array())) {
        const std::string where = kind + " " + ns + "/" + o["metadata"].value("name", "");
        EXPECT_TRUE(expected.count(where)) << where << " is left over";
      }
    }
  }
  for (int i = 0; i < kServices; ++i) {
    const auto secret = api_->get("/api/v1/namespaces/" + ns_of(i) + "/secrets/" + name_of(i) + "-tls");
    EXPECT_EQ(secret.code, i < kServices - kDeleted ? 200 : 404) << ns_of(i) << "/" << name_of(i) << "-tls";
  }

  // Quiet: with nothing changing, the operator writes nothing. Events of what happened before
  // may still arrive: the recorder writes them from its one queue, which an event the faults
  // refused holds up for its retry sleep (up to 10 s, as client-go's). An Event recorded in the
  // window (its lastTimestamp, set when recorded) is a write like any other.
  const TimePoint window_start = std::chrono::system_clock::now();
  const size_t before = server_->api().request_log().size();
  std::this_thread::sleep_for(5s);
  const auto log = server_->api().request_log().snapshot();
  std::vector<std::string> quiet_writes;
  for (size_t i = before; i < log.size(); ++i)
    if (log[i].user == "operator" && log[i].is_write() && log[i].resource != "events")
      quiet_writes.push_back(log[i].verb + " " + log[i].resource + " " + log[i].ns + "/" + log[i].name);
  for (const auto& ns : kNamespaces)
    for (const auto& e : api_->get("/api/v1/namespaces/" + ns + "/events").body.value("items", json::array())) {
      auto recorded = parse_rfc3339(e.value("lastTimestamp", ""));
      // RFC 3339 to the second: one recorded just before the window may read as in it.
      if (recorded.ok() && *recorded >= window_start + 1s)
        quiet_writes.push_back("event " + e.value("reason", "") + " " + ns + "/" +
                               e["involvedObject"].value("name", "") + ": " + e.value("message", ""));
    }
  EXPECT_THAT(quiet_writes, ::testing::IsEmpty());
}

}  // namespace
}  // namespace sso::testing
