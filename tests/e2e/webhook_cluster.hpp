#pragma once

// The operator with its admission webhooks against the API test server: the API server calls
// them through a real ValidatingWebhookConfiguration (the one the operator writes the caBundle
// into), and kubectl shows what a user sees. Shared by the webhook and observability suites.
#include <memory>
#include <string>
#include <vector>

#include "api_test_client.hpp"
#include "kube/free_port.hpp"
#include "kube_test_server.hpp"
#include "operator_process.hpp"
#include "process.hpp"

namespace sso::testing {

inline constexpr const char* kWebhookConfig =
    "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/"
    "secureservice-operator";
inline constexpr const char* kServingSecret =
    "/api/v1/namespaces/secureservice-system/secrets/secureservice-operator-webhook-tls";

// What a pod template needs to be judged: its labels, service account, and how (if at all) it
// carries the Secret.
struct PodShape {
  std::string name = "web";
  std::string generate_name;
  std::string ns = "shop";
  std::string app = "checkout";
  std::string service_account = "checkout";
  std::string secret = "checkout-tls";                // "" : no volume
  std::string mount_path = "/etc/secureservice/tls";  // "" : no mount
  bool read_only = true;
};

inline nlohmann::json pod(const PodShape& s) {
  using nlohmann::json;
  json container = {{"name", "app"}, {"image", "registry.example/shop/app:1.0"}};
  json volumes = json::array();
  if (!s.secret.empty()) volumes.push_back({{"name", "identity"}, {"secret", {{"secretName", s.secret}}}});
  if (!s.mount_path.empty())
    container["volumeMounts"] =
        json::array({{{"name", "identity"}, {"mountPath", s.mount_path}, {"readOnly", s.read_only}}});
  json metadata = {{"namespace", s.ns}, {"labels", {{"app", s.app}}}};
  if (s.generate_name.empty())
    metadata["name"] = s.name;
  else
    metadata["generateName"] = s.generate_name;
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", metadata},
          {"spec", {{"serviceAccountName", s.service_account}, {"containers", {container}}, {"volumes", volumes}}}};
}

// The operator binary serving both webhooks on a free port that the API test server reaches as
// Service secureservice-system/secureservice-operator-webhook, with the Helm chart's webhook
// configuration (as `make demo` installs it); SetUp returns once it is ready and the caBundle is written.
class WebhookClusterTest : public OperatorClusterTest {
 protected:
  void SetUp() override {
    OperatorClusterTest::SetUp();
    if (HasFatalFailure()) return;
    kubectl_ok({"apply", "-f", std::string(SSO_EXAMPLES_DIR) + "/00-namespaces.yaml"});
    auto webhook_port = kube::find_free_port("127.0.0.1");
    ASSERT_TRUE(webhook_port.ok());
    webhook_port_ = *webhook_port;
    server_->api().admission().map_service("secureservice-system", "secureservice-operator-webhook", webhook_port_);
    kubectl_ok({"create", "namespace", "secureservice-system"});
    // The chart's own webhook configuration, as `helm install` would create it.
    const auto rendered =
        run_process({SSO_HELM_BIN, "template", "secureservice-operator", SSO_CHART_DIR, "--namespace",
                     "secureservice-system", "--show-only", "templates/validatingwebhookconfiguration.yaml"});
    ASSERT_EQ(rendered.exit_code, 0) << rendered.err;
    kubectl_ok({"apply", "-f", dir_.write("webhook-configuration.yaml", rendered.out)});
    port_ = free_port_pair({webhook_port_});
    operator_ = std::make_unique<BackgroundProcess>(operator_argv(port_, run_flags()), dir_.file("operator.log"));
    // Serving: ready (certificate loaded, caches synced) and the caBundle written.
    ASSERT_TRUE(eventually(
        [&] {
          const auto config = api_->get(kWebhookConfig);
          return http_code(port_, "/readyz") == 200 && config.code == 200 &&
                 !config.body["webhooks"][0]["clientConfig"].value("caBundle", "").empty() &&
                 !config.body["webhooks"][1]["clientConfig"].value("caBundle", "").empty();
        },
        std::chrono::seconds(30)))
        << operator_->output();
  }

  // More `run` flags for a suite that needs them (the last value of a flag wins).
  virtual std::vector<std::string> extra_operator_flags() const { return {}; }

  std::vector<std::string> run_flags() const {
    std::vector<std::string> flags = {"--webhook-bind-address", "127.0.0.1:" + std::to_string(webhook_port_),
                                      "--webhook-service", "secureservice-system/secureservice-operator-webhook"};
    const auto extra = extra_operator_flags();
    flags.insert(flags.end(), extra.begin(), extra.end());
    return flags;
  }

  void apply_service(const std::string& yaml) { kubectl_ok({"apply", "-f", dir_.write("service.yaml", yaml)}); }

  // The checkout service of examples/shop.yaml, in `mode`.
  void apply_checkout(const std::string& mode = "Enforce") {
    apply_service(R"(apiVersion: secureservice.io/v1alpha1
kind: SecureService
metadata: {name: checkout, namespace: shop}
spec:
  selector: {matchLabels: {app: checkout}}
  serviceAccountName: checkout
  ports: [{name: https, port: 8443}]
  admission: {mode: )" +
                  mode + "}\n");
  }

  // `kubectl create -f` of the pod: the exit code, and what kubectl printed.
  ProcessResult create(const nlohmann::json& object, const std::string& verb = "create") {
    const std::string file = dir_.write("pod-" + std::to_string(++files_) + ".json", object.dump());
    return run_process({SSO_KUBECTL_BIN, "--kubeconfig", kubeconfig_, verb, "-f", file});
  }

  std::string scrape() {
    std::string body;
    http_code(static_cast<uint16_t>(port_ + 1), "/metrics", &body);
    return body;
  }

  uint16_t webhook_port_ = 0;
  uint16_t port_ = 0;
  int files_ = 0;
  std::unique_ptr<BackgroundProcess> operator_;
};

}  // namespace sso::testing
