#pragma once

// Helpers for tests that run the operator binary against the API test server.
#include <gmock/gmock.h>

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <string>

#include "api_test_client.hpp"
#include "http_get.hpp"
#include "kube/free_port.hpp"
#include "kube_test_server.hpp"
#include "process.hpp"

namespace sso::testing {

// The HTTP status of GET path on 127.0.0.1:port (0 when nothing answers).
inline int http_code(uint16_t port, const std::string& path, std::string* body = nullptr) {
  const HttpGetReply reply = http_get("http://127.0.0.1:" + std::to_string(port) + path);
  if (body) *body = reply.body;
  return reply.code;
}

// Two consecutive free ports (probes, metrics): the operator's flags take fixed addresses, as
// a pod's would. From kube::find_free_port: random, below the ephemeral range, so that test
// processes run in parallel do not collide (a pid-based range did). `taken`: ports this test
// picked already and has not bound yet (a webhook's, another replica's), which would still
// look free.
inline uint16_t free_port_pair(std::initializer_list<uint16_t> taken = {}) {
  const auto is_taken = [&](int port) { return std::find(taken.begin(), taken.end(), port) != taken.end(); };
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto port = kube::find_free_port("127.0.0.1");
    if (!port.ok() || *port >= 65535 || is_taken(*port) || is_taken(*port + 1)) continue;
    if (kube::port_is_free("127.0.0.1", static_cast<uint16_t>(*port + 1))) return *port;
  }
  ADD_FAILURE() << "no two consecutive free ports on 127.0.0.1";
  return 0;
}

// The `field` of the condition `type` in an object's status; "" when it has none.
inline std::string condition(const nlohmann::json& object, const std::string& type, const char* field = "status") {
  if (!object.is_object()) return "";
  for (const auto& c : object.value("status", nlohmann::json::object()).value("conditions", nlohmann::json::array()))
    if (c.value("type", "") == type) return c.value(field, "");
  return "";
}

// A SecureService NS/NAME for pods labelled app=NAME, with one port (https, 8443); `spec`'s
// fields are added to its spec, or replace those.
inline nlohmann::json secure_service_object(const std::string& ns, const std::string& name,
                                            const nlohmann::json& spec = nlohmann::json::object()) {
  nlohmann::json object = {
      {"apiVersion", "secureservice.io/v1alpha1"},
      {"kind", "SecureService"},
      {"metadata", {{"name", name}, {"namespace", ns}}},
      {"spec", {{"selector", {{"matchLabels", {{"app", name}}}}}, {"ports", {{{"name", "https"}, {"port", 8443}}}}}}};
  for (const auto& [field, value] : spec.items()) object["spec"][field] = value;
  return object;
}

// A fresh API test server per test, with an admin kubeconfig for the operator and kubectl, and
// the SecureService CRD installed: the operator watches SecureServices, and without their CRD
// it would never become ready (nor would controller-runtime's manager).
class OperatorClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = KubeTestServer::start();
    ASSERT_TRUE(server.ok()) << server.error().describe();
    server_ = std::move(*server);
    kubeconfig_ = dir_.file("kubeconfig");
    server_->admin_kubeconfig(kubeconfig_);
    api_ = std::make_unique<ApiTestClient>(server_->url(), server_->ca_pem(), server_->admin_token());
    kubectl_ok({"apply", "-f", SSO_CRDS_DIR});
  }

  // The operator's `run` flags for these tests: this cluster, probes on `port` and metrics on
  // port + 1 (free_port_pair), JSON logs, the cluster CA in default/, the admission webhook on
  // a free port as Service default/secureservice-operator-webhook; then `extra` (the last
  // value of a flag wins).
  std::vector<std::string> operator_argv(uint16_t port, const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> argv = {
        SSO_OPERATOR_BIN, "run", "--kubeconfig", kubeconfig_, "--health-probe-bind-address",
        "127.0.0.1:" + std::to_string(port), "--metrics-bind-address", "127.0.0.1:" + std::to_string(port + 1),
        // Scraped without a token; the secure endpoint has tests of its own.
        "--metrics-secure=false", "--log-format", "json", "--ca-secret", "default/secureservice-operator-ca",
        "--webhook-service", "default/secureservice-operator-webhook", "--webhook-bind-address", "127.0.0.1:0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  // The REST path of `object` (of its collection when it has no name), from the resources the
  // server serves; "" for a kind it does not serve. `ns` when the object names none.
  std::string path_of(const nlohmann::json& object, const std::string& ns = "default") const {
    const std::string api_version = object.value("apiVersion", "");
    const auto slash = api_version.find('/');
    const std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
    const auto type = server_->api().registry().find_kind(group, object.value("kind", ""));
    if (!type) return "";
    const nlohmann::json metadata = object.value("metadata", nlohmann::json::object());
    const std::string name = metadata.value("name", "");
    std::string path = group.empty() ? "/api/" + api_version : "/apis/" + api_version;
    if (type->namespaced) path += "/namespaces/" + metadata.value("namespace", ns);
    path += "/" + type->resource;
    return name.empty() ? path : path + "/" + name;
  }

  // A kubeconfig for this cluster whose token the server knows as user `name`, an
  // administrator (group system:masters): for an operator whose requests the request log
  // must tell apart.
  std::string kubeconfig_for_user(const std::string& name) {
    const std::string token = "token-" + name;
    server_->api().add_token(token, {name, {"system:masters", "system:authenticated"}});
    std::string text = server_->admin_kubeconfig();
    const auto at = text.find(server_->admin_token());
    EXPECT_NE(at, std::string::npos);
    if (at != std::string::npos) text.replace(at, server_->admin_token().size(), token);
    return dir_.write("kubeconfig-" + name, text);
  }

  // kubectl with the admin kubeconfig; a failure fails the test. Returns stdout.
  std::string kubectl_ok(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {SSO_KUBECTL_BIN, "--kubeconfig", kubeconfig_};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_process(argv);
    EXPECT_EQ(r.exit_code, 0) << "kubectl " << args[0] << ": " << r.err;
    return r.out;
  }

  TempDir dir_;
  std::unique_ptr<KubeTestServer> server_;
  std::unique_ptr<ApiTestClient> api_;
  std::string kubeconfig_;
};

}  // namespace sso::testing
