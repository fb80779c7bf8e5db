#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/result.hpp"
#include "metrics/webhook_metrics.hpp"
#include "pki/tls_credentials.hpp"
#include "webhook/admission_review.hpp"

namespace sso::webhook {

struct WebhookServerOptions {
  // controller-runtime's form: ":9443" (every interface), "127.0.0.1:9443"; port 0 picks a
  // free one (tests).
  std::string bind_address = ":9443";
  // controller-runtime's limit (pkg/webhook/admission/http.go maxRequestSize): an old and a new
  // object of at most 3 MB each, and 1 MB for the rest of the review.
  size_t max_body_bytes = size_t{7} * 1024 * 1024;
  // For the body to arrive, counted from the end of the headers; a request still short of
  // its body then is answered 408 and its connection closed. (The handler's own time is not
  // bounded here: handlers are pure and quick.) kube-apiserver gives up on a call after the
  // webhook's timeoutSeconds (at most 30).
  std::chrono::milliseconds request_timeout{10000};
};

// Answers one admission request; a pure decision (the edge owns HTTP, limits and metrics).
using AdmissionHandler = std::function<AdmissionResponse(const AdmissionRequest&)>;

// The admission webhooks over HTTPS, as controller-runtime's webhook server and
// admission.Webhook.ServeHTTP (pkg/webhook/admission/http.go) serve them: POST only, one
// handler per path, the body capped and read against a deadline, Content-Type
// application/json, an AdmissionReview in and out, and every refusal an AdmissionReview too.
// The transport (TLS, limits, deadlines) is kube::HttpServer's; the serving certificate is
// read from `credentials` at every handshake, so a rotated one is used without a restart.
class WebhookServer {
 public:
  // `credentials` and `metrics` (null for none) must outlive the server.
  static Result<std::unique_ptr<WebhookServer>> start(WebhookServerOptions options,
                                                      const pki::ServingCredentials& credentials,
                                                      std::map<std::string, AdmissionHandler> routes,
                                                      metrics::WebhookMetrics* metrics);
  ~WebhookServer();
  WebhookServer(const WebhookServer&) = delete;
  WebhookServer& operator=(const WebhookServer&) = delete;

  uint16_t port() const { return port_; }
  // Closes the listener and every connection, then waits for requests being answered.
  void stop();

 private:
  struct Impl;
  WebhookServer(std::unique_ptr<Impl> impl, uint16_t port);
  std::unique_ptr<Impl> impl_;
  uint16_t port_;
};

}  // namespace sso::webhook
