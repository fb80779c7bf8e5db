#pragma once

#include <functional>
#include <string>

#include "base/time.hpp"
#include "controller/ca_source.hpp"
#include "controller/cache_set.hpp"
#include "controller/cluster_ca.hpp"
#include "kube/controller.hpp"
#include "kube/event_recorder.hpp"
#include "kube/rest_client.hpp"
#include "metrics/secure_service_metrics.hpp"

namespace sso::controller {

// Keeps the cluster CA Secret: creates it on first start, reuses it on every later one, stages
// and promotes rotations, re-signs the CRL, and publishes the loaded CA to `source`. When the
// CA or its bundle changes, `on_change` re-enqueues every SecureService. A CA Secret deleted
// under a running leader is put back from the one it last loaded: a new CA would re-issue
// every certificate at once, with no overlap in which peers trust both.
class CaReconciler {
 public:
  struct Deps {
    kube::RestClient& client;
    const kube::ObjectCache& secrets;  // holds the CA Secret (a name-selected informer)
    CaSource& source;
    kube::EventRecorder& events;
    metrics::SecureServiceMetrics& metrics;
    const Clock& clock;
    std::function<void()> on_change;
  };
  CaReconciler(Deps deps, std::string ns, std::string name, ClusterCaOptions options)
      : d_(std::move(deps)), ns_(std::move(ns)), name_(std::move(name)), options_(std::move(options)) {}

  Result<kube::ReconcileResult> reconcile(const std::string& key);

  // Lists `serial` on the cluster CA's CRL (revoke_in_ca_secret), and publishes the CA with
  // it at once, so that the caller's next decision sees it revoked and every trust bundle
  // gets the new CRL. Returns whether it was newly revoked. Called from the SecureService
  // workers: the update is conditional on the cached Secret's resourceVersion, and a Conflict
  // comes back as an error for the caller's backoff.
  Result<bool> revoke(const std::string& serial, pki::RevocationReason reason);

 private:
  Deps d_;
  std::string ns_;
  std::string name_;
  ClusterCaOptions options_;
  nlohmann::json last_loaded_;  // the CA Secret as last loaded; null before the first
};

}  // namespace sso::controller
