// manifests/install.yaml as a user without Helm installs it: `kubectl apply --server-side`
// into the API test server. There is no kubelet, so the Deployment's pod is played by the
// operator binary run with the Deployment's own container args and env (only the listen
// addresses moved to free local ports): what the chart tells the operator must be enough for
// it to lead, serve the webhooks the chart's configuration calls and make a SecureService Ready.
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "kube/manifest_yaml.hpp"
#include "operator_process.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kNamespace = "secureservice-system";

std::vector<json> install_manifest() {
  std::ifstream in(std::string(SSO_MANIFESTS_DIR) + "/install.yaml");
  auto objects = kube::read_manifests(std::string(std::istreambuf_iterator<char>(in), {}), "install.yaml");
  EXPECT_TRUE(objects.ok()) << objects.error().describe();
  return objects.ok() ? *objects : std::vector<json>{};
}

class InstallE2E : public OperatorClusterTest {
 protected:
  // The Deployment's container args, listen addresses on local ports, and this cluster.
  std::vector<std::string> deployment_argv(const json& deployment, uint16_t port, uint16_t webhook_port) {
    const json& container = deployment["spec"]["template"]["spec"]["containers"][0];
    std::vector<std::string> argv = {"/usr/bin/env"};
    for (const auto& env : container.value("env", json::array())) {
      // The downward API's metadata.namespace: the Deployment's namespace.
      if (env.contains("valueFrom") && env["valueFrom"].contains("fieldRef") &&
          env["valueFrom"]["fieldRef"].value("fieldPath", "") == "metadata.namespace")
        argv.push_back(env.value("name", "") + "=" + deployment["metadata"].value("namespace", ""));
    }
    argv.push_back(SSO_OPERATOR_BIN);
    const std::map<std::string, std::string> local = {
        {"--health-probe-bind-address", "127.0.0.1:" + std::to_string(port)},
        {"--metrics-bind-address", "127.0.0.1:" + std::to_string(port + 1)},
        {"--webhook-bind-address", "127.0.0.1:" + std::to_string(webhook_port)}};
    std::set<std::string> moved;
    for (const auto& arg : container.value("args", json::array())) {
      std::string a = arg.get<std::string>();
      const std::string flag = a.substr(0, a.find('='));
      if (auto it = local.find(flag); it != local.end()) {
        a = flag + "=" + it->second;
        moved.insert(flag);
      }
      argv.push_back(a);
    }
    EXPECT_EQ(moved.size(), local.size()) << "the Deployment sets every listen address";
    argv.push_back("--kubeconfig=" + kubeconfig_);
    return argv;
  }
};

TEST_F(InstallE2E, ThePlainManifestsInstallAndTheOperatorRunsOnTheDeploymentsArgs) {
  const auto objects = install_manifest();
  ASSERT_FALSE(objects.empty());
  kubectl_ok({"apply", "--server-side", "-f", std::string(SSO_MANIFESTS_DIR) + "/install.yaml"});
  for (const auto& object : objects) {
    const std::string path = path_of(object, kNamespace);
    ASSERT_FALSE(path.empty()) << "install.yaml has a kind the API test server does not serve: "
                               << object.value("kind", "");
    EXPECT_EQ(api_->get(path).code, 200) << path;
  }
  // Applying again changes nothing: what a GitOps tool re-applies on every sync.
  const auto before = api_->get(path_of(objects.back(), kNamespace)).body["metadata"].value("resourceVersion", "");
  kubectl_ok({"apply", "--server-side", "-f", std::string(SSO_MANIFESTS_DIR) + "/install.yaml"});
  EXPECT_EQ(api_->get(path_of(objects.back(), kNamespace)).body["metadata"].value("resourceVersion", ""), before);

  const json deployment =
      api_->get("/apis/apps/v1/namespaces/secureservice-system/deployments/secureservice-operator").body;
  const json service =
      api_->get("/api/v1/namespaces/secureservice-system/services/secureservice-operator-webhook").body;
  ASSERT_TRUE(service.is_object() && service.contains("spec"));
  auto webhook_port = kube::find_free_port("127.0.0.1");
  ASSERT_TRUE(webhook_port.ok());
  server_->api().admission().map_service(kNamespace, "secureservice-operator-webhook", *webhook_port);
  const uint16_t port = free_port_pair({*webhook_port});
  BackgroundProcess replica(deployment_argv(deployment, port, *webhook_port), dir_.file("operator.log"));

  // It leads, mints the CA and its serving certificate where the chart says, and fills in
  // the caBundle of the chart's webhook configuration.
  ASSERT_TRUE(eventually(
      [&] {
        const auto config = api_->get(
            "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/"
            "secureservice-operator");
        return http_code(port, "/readyz") == 200 && config.code == 200 &&
               !config.body["webhooks"][0]["clientConfig"].value("caBundle", "").empty();
      },
      std::chrono::seconds(30)))
      << replica.output();
  EXPECT_EQ(api_->get("/api/v1/namespaces/secureservice-system/secrets/secureservice-operator-ca").code, 200);
  EXPECT_EQ(api_->get("/api/v1/namespaces/secureservice-system/secrets/secureservice-operator-webhook-tls").code, 200);
  EXPECT_EQ(
      api_->get("/apis/coordination.k8s.io/v1/namespaces/secureservice-system/leases/secureservice-operator").code,
      200);

  kubectl_ok({"apply", "-f", std::string(SSO_EXAMPLES_DIR) + "/00-namespaces.yaml"});
  kubectl_ok({"apply", "-f", std::string(SSO_EXAMPLES_DIR) + "/shop.yaml"});
  // Its identity issued (no mesh is installed here, so MeshReady holds Ready back).
  EXPECT_TRUE(eventually(
      [&] {
        const auto checkout = api_->get("/apis/secureservice.io/v1alpha1/namespaces/shop/secureservices/checkout");
        for (const auto& c : checkout.body.value("status", json::object()).value("conditions", json::array()))
          if (c.value("type", "") == "CertificateReady") return c.value("status", "") == "True";
        return false;
      },
      std::chrono::seconds(30)))
      << replica.output();
  // The API test server calls the webhook through the chart's Service: a pod without its
  // identity is refused.
  const auto denied =
      run_process({SSO_KUBECTL_BIN, "--kubeconfig", kubeconfig_, "apply", "-f", dir_.write("pod.yaml", R"(apiVersion: v1
kind: Pod
metadata: {name: checkout-0, namespace: shop, labels: {app: checkout}}
spec:
  serviceAccountName: checkout
  containers: [{name: app, image: registry.example/shop/checkout:1.4}]
)")});
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_THAT(denied.err, HasSubstr("admission webhook \"pods.secureservice.io\" denied the request"));
}

}  // namespace
}  // namespace sso::testing
