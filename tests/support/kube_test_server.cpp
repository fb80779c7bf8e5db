#include "kube_test_server.hpp"

#include <fstream>
#include <random>

#include "base/base64.hpp"
#include "pki/certificate_authority.hpp"

namespace sso::testing {
namespace {

std::string random_token() {
  std::random_device rd;
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 40; ++i) out += kHex[rd() % 16];
  return out;
}

}  // namespace

Result<std::unique_ptr<KubeTestServer>> KubeTestServer::start(Options options) {
  const auto now = std::chrono::system_clock::now();
  pki::CaOptions ca_options;
  ca_options.common_name = "kube-testserver CA";
  ca_options.validity = std::chrono::hours(24 * 365);
  SSO_ASSIGN_OR_RETURN(auto ca, pki::CertificateAuthority::create(ca_options, now), "start API test server");
  pki::IdentityRequest serving;
  serving.common_name = "kube-apiserver";
  serving.dns_names = {"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"};
  serving.ip_addresses = {"127.0.0.1"};
  serving.mode = pki::TlsMode::kServer;
  serving.duration = std::chrono::hours(24 * 30);
  SSO_ASSIGN_OR_RETURN(auto identity, ca.issue(serving, now), "start API test server");

  std::unique_ptr<KubeTestServer> server(new KubeTestServer());
  apiserver::ApiServer::Options api_options;
  api_options.history_limit = options.history_limit;
  api_options.bookmark_interval = options.bookmark_interval;
  server->api_ = std::make_unique<apiserver::ApiServer>(api_options);
  server->ca_pem_ = ca.certificate().to_pem();
  server->admin_token_ = random_token();
  server->api_->add_token(server->admin_token_, {"kubernetes-admin", {"system:masters", "system:authenticated"}});
  SSO_ASSIGN_OR_RETURN(server->edge_, apiserver::HttpEdge::start(*server->api_, options.port, identity.chain_pem(),
                                                                 std::string(identity.key.to_pkcs8_pem().reveal())));
  server->api_->set_server_address("127.0.0.1:" + std::to_string(server->edge_->port()));
  server->running_ = true;
  server->ticker_ = std::thread([raw = server.get()] {
    while (raw->running_) {
      raw->api_->tick();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  return server;
}

KubeTestServer::~KubeTestServer() { stop(); }

void KubeTestServer::stop() {
  running_ = false;
  if (ticker_.joinable()) ticker_.join();
  if (edge_) edge_->stop();
}

Status KubeTestServer::restart() { return edge_->restart(); }

std::string KubeTestServer::kubeconfig(const std::string& user, const std::string& token,
                                       const std::string& path) const {
  const std::string text =
      "apiVersion: v1\n"
      "kind: Config\n"
      "clusters:\n"
      "- name: kube-testserver\n"
      "  cluster:\n"
      "    server: " +
      url() +
      "\n"
      "    certificate-authority-data: " +
      base64_encode(ca_pem_) +
      "\n"
      "users:\n"
      "- name: " +
      user +
      "\n"
      "  user:\n"
      "    token: " +
      token +
      "\n"
      "contexts:\n"
      "- name: " +
      user +
      "@kube-testserver\n"
      "  context:\n"
      "    cluster: kube-testserver\n"
      "    user: " +
      user +
      "\n"
      "    namespace: default\n"
      "current-context: " +
      user + "@kube-testserver\n";
  if (!path.empty()) std::ofstream(path) << text;
  return text;
}

std::string KubeTestServer::admin_kubeconfig(const std::string& path) const {
  return kubeconfig("kubernetes-admin", admin_token_, path);
}

std::string KubeTestServer::service_account_token(const std::string& ns, const std::string& name) {
  const std::string token = random_token();
  api_->add_token(token, {"system:serviceaccount:" + ns + ":" + name,
                          {"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}});
  return token;
}

std::string KubeTestServer::service_account_kubeconfig(const std::string& ns, const std::string& name,
                                                       const std::string& path) {
  return kubeconfig(ns + "-" + name, service_account_token(ns, name), path);
}

}  // namespace sso::testing
