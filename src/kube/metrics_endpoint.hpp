#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.hpp"
#include "kube/http_server.hpp"
#include "kube/reviewed_access.hpp"
#include "kube/worker_pool.hpp"
#include "pki/tls_credentials.hpp"

namespace sso::kube {

class RestClient;

// /metrics, as controller-runtime's metrics server serves it. Secure (its default, and
// kubebuilder's): HTTPS with a self-signed certificate made at start (Prometheus scrapes
// with insecureSkipVerify, as kubebuilder's ServiceMonitor does), and only for a bearer
// token the API server authenticates and authorizes to get /metrics (ReviewedAccess).
// Otherwise plain HTTP for anyone who can reach the port.
class MetricsEndpoint {
 public:
  [[nodiscard]] static Result<std::unique_ptr<MetricsEndpoint>> start(const std::string& bind_address, bool secure,
                                                                      RestClient& client,
                                                                      std::function<std::string()> scrape);
  ~MetricsEndpoint() { stop(); }
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  uint16_t port() const { return server_->port(); }
  void stop();

 private:
  MetricsEndpoint(RestClient& client, std::function<std::string()> scrape)
      : access_(client), scrape_(std::move(scrape)) {}
  void serve(ServerRequest request, std::shared_ptr<HttpExchange> exchange);

  pki::ServingCredentials credentials_;
  ReviewedAccess access_;
  std::function<std::string()> scrape_;
  WorkerPool reviews_{2};  // a scrape waits on the API server's reviews here
  std::unique_ptr<HttpServer> server_;
};

}  // namespace sso::kube
