#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.hpp"
#include "base/time.hpp"
#include "controller/ca_source.hpp"
#include "controller/cluster_ca.hpp"
#include "kube/controller.hpp"
#include "kube/event_recorder.hpp"
#include "kube/object_cache.hpp"
#include "kube/rest_client.hpp"
#include "pki/identity.hpp"
#include "pki/renewal.hpp"

// The admission webhook's serving certificate, minted from the cluster CA, so that installing
// the operator needs no hand-made certificates: the leader keeps it in a kubernetes.io/tls
// Secret (renewed, and re-issued after a CA rotation, as every leaf is) and writes the CA
// bundle into the caBundle of each webhook of the ValidatingWebhookConfiguration, as
// cert-manager's cainjector does. Every replica serves from the Secret (webhook/).
namespace sso::controller {

struct WebhookCertificateOptions {
  std::string service_namespace;  // --webhook-service NAMESPACE/NAME
  std::string service_name;
  std::string secret_name;  // in service_namespace
  std::string config_name;  // the ValidatingWebhookConfiguration; "" writes no caBundle
  std::string cluster_domain = "cluster.local";
};

// What the serving certificate must say: NAME, NAME.NS, NAME.NS.svc, NAME.NS.svc.DOMAIN;
// serverAuth only; ECDSA P-256; 90 days, renewed at two thirds.
pki::IdentityRequest webhook_identity_request(const WebhookCertificateOptions& options);

struct WebhookSecretPlan {
  std::optional<nlohmann::json> secret;        // the whole Secret to write; nullopt keeps it
  std::optional<pki::ReissueDecision> issued;  // set when a new certificate was minted
  TimePoint renewal_time;
};

// Pure: the Secret the webhook should serve from, given the one there now (null when absent):
// kept while the PKI engine's decision allows (its ca.crt brought up to the bundle), else a
// new identity from the issuing CA.
Result<WebhookSecretPlan> plan_webhook_secret(const nlohmann::json& existing, const ClusterCa& ca,
                                              const WebhookCertificateOptions& options, TimePoint now);

// `config` with every webhook's clientConfig.caBundle set to `bundle_pem`; nullopt when each
// already holds it.
std::optional<nlohmann::json> with_ca_bundle(const nlohmann::json& config, const std::string& bundle_pem);

class WebhookCertificateReconciler {
 public:
  struct Deps {
    kube::RestClient& client;
    const kube::ObjectCache& secrets;  // holds the serving Secret (a name-selected informer)
    const kube::ObjectCache& configs;  // holds the webhook configuration (a name-selected informer)
    const CaSource& ca;
    kube::EventRecorder& events;
    const Clock& clock;
  };
  WebhookCertificateReconciler(Deps deps, WebhookCertificateOptions options) : d_(deps), options_(std::move(options)) {}

  // One key: the serving Secret and the caBundle together.
  Result<kube::ReconcileResult> reconcile(const std::string& key);

 private:
  Deps d_;
  WebhookCertificateOptions options_;
};

}  // namespace sso::controller
