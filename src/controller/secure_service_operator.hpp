#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "controller/ca_reconciler.hpp"
#include "controller/ca_source.hpp"
#include "controller/cluster_ca.hpp"
#include "controller/desired_policies.hpp"
#include "controller/secure_service_reconciler.hpp"
#include "controller/webhook_certificate.hpp"
#include "kube/rest_client.hpp"
#include "kube/runtime.hpp"
#include "metrics/registry.hpp"
#include "metrics/secure_service_metrics.hpp"

namespace sso::controller {

struct OperatorOptions {
  std::vector<std::string> namespaces;  // empty: every namespace
  ClusterSettings settings;
  std::string ca_namespace;
  std::string ca_name = "secureservice-operator-ca";
  ClusterCaOptions ca;
  // The admission webhook's serving certificate and caBundle (unset: no webhook).
  std::optional<WebhookCertificateOptions> webhook;
};

// The SecureService operator's informers and controllers, registered on a Runtime: the
// cluster CA controller and the SecureService controller, with the watches that bring a
// SecureService back when something it depends on changes. Owns the reconcilers; must outlive
// the Runtime's run().
class SecureServiceOperator {
 public:
  static Result<std::unique_ptr<SecureServiceOperator>> create(kube::Runtime& runtime, kube::RestClient& client,
                                                               metrics::Registry& registry, OperatorOptions options);

  // For the admission webhooks, which answer from the same caches on every replica.
  const std::vector<kube::Informer*>& secure_service_informers() const { return service_informers_; }
  // The informer holding the webhook's serving Secret (null without a webhook).
  kube::Informer* serving_secret_informer() const { return serving_secret_; }

 private:
  SecureServiceOperator(metrics::Registry& registry) : metrics_(registry) {}
  SystemClock clock_;
  CaSource ca_source_;
  metrics::SecureServiceMetrics metrics_;
  std::unique_ptr<CaReconciler> ca_;
  std::unique_ptr<SecureServiceReconciler> services_;
  std::unique_ptr<WebhookCertificateReconciler> webhook_certificate_;
  std::vector<kube::Informer*> service_informers_;
  kube::Informer* serving_secret_ = nullptr;
};

}  // namespace sso::controller
