#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "kube/informer.hpp"
#include "kube/runtime.hpp"
#include "metrics/registry.hpp"
#include "metrics/webhook_metrics.hpp"
#include "pki/tls_credentials.hpp"
#include "webhook/admission_handlers.hpp"
#include "webhook/secure_service_index.hpp"
#include "webhook/server.hpp"

namespace sso::webhook {

struct AdmissionWebhooksOptions {
  WebhookServerOptions server;
  AdmissionOptions admission;
  std::vector<std::string> namespaces;  // watched (empty: all), for the namespaces' labels
};

// The admission webhooks of one replica, as controller-runtime's webhook server runs on every
// replica, leader or not: the HTTPS server, its certificate (loaded from the serving Secret's
// informer on each change, so a rotation needs no restart), and the caches it answers from.
class AdmissionWebhooks {
 public:
  // Registers the namespace informer and follows the given ones (before runtime.run()).
  static Result<std::unique_ptr<AdmissionWebhooks>> create(kube::Runtime& runtime, metrics::Registry& registry,
                                                           const std::vector<kube::Informer*>& secure_services,
                                                           kube::Informer& serving_secret,
                                                           AdmissionWebhooksOptions options);
  ~AdmissionWebhooks();

  // Binds the HTTPS port; requests are refused (503) until the caches have synced, and
  // handshakes fail until the serving certificate is loaded.
  Status start();
  void stop();
  uint16_t port() const;
  bool serving() const { return credentials_.loaded(); }

 private:
  explicit AdmissionWebhooks(metrics::Registry& registry) : metrics_(registry) {}
  void load_credentials(const nlohmann::json& secret);

  AdmissionWebhooksOptions options_;
  metrics::WebhookMetrics metrics_;
  pki::ServingCredentials credentials_;
  SecureServiceIndex index_;
  std::vector<kube::Informer*> informers_;  // what the answers need synced
  std::unique_ptr<AdmissionHandlers> handlers_;
  std::unique_ptr<WebhookServer> server_;
};

}  // namespace sso::webhook
