#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "apiserver/api_server.hpp"
#include "apiserver/http_edge.hpp"
#include "base/result.hpp"

namespace sso::testing {

// The project's Kubernetes API test server: kube-apiserver's REST behaviour over HTTPS on
// 127.0.0.1, with its own CA and serving certificate (minted by src/pki), bearer tokens for
// an admin and for service accounts, and fault controls. Start one per test suite.
class KubeTestServer {
 public:
  struct Options {
    uint16_t port = 0;  // 0: a free port
    size_t history_limit = 10000;
    std::chrono::milliseconds bookmark_interval{60000};
  };

  static Result<std::unique_ptr<KubeTestServer>> start(Options options);
  static Result<std::unique_ptr<KubeTestServer>> start() { return start(Options{}); }
  ~KubeTestServer();

  std::string url() const { return "https://127.0.0.1:" + std::to_string(edge_->port()); }
  uint16_t port() const { return edge_->port(); }
  const std::string& ca_pem() const { return ca_pem_; }
  const std::string& admin_token() const { return admin_token_; }

  // A kubeconfig (CA data, server, bearer token) for the admin user (group system:masters:
  // RBAC allows it everything), or for the service
  // account NS/NAME (user system:serviceaccount:NS:NAME); returns the text, and writes it
  // to `path` when given.
  std::string admin_kubeconfig(const std::string& path = "") const;
  std::string service_account_kubeconfig(const std::string& ns, const std::string& name, const std::string& path = "");
  // A new bearer token for the service account NS/NAME, as the TokenRequest API would mint:
  // user system:serviceaccount:NS:NAME, groups system:serviceaccounts,
  // system:serviceaccounts:NS and system:authenticated. RBAC decides what it may do.
  std::string service_account_token(const std::string& ns, const std::string& name);

  apiserver::ApiServer& api() { return *api_; }
  apiserver::Faults& faults() { return api_->faults(); }
  // Drops every connection and open watch, as a restart of kube-apiserver would.
  Status restart();
  void stop();

 private:
  KubeTestServer() = default;
  std::string kubeconfig(const std::string& user, const std::string& token, const std::string& path) const;

  std::unique_ptr<apiserver::ApiServer> api_;
  std::unique_ptr<apiserver::HttpEdge> edge_;
  std::string ca_pem_;
  std::string admin_token_;
  std::atomic<bool> running_{false};
  std::thread ticker_;
};

}  // namespace sso::testing
