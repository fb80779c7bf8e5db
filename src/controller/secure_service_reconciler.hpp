#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/secure_service.hpp"
#include "base/time.hpp"
#include "controller/ca_source.hpp"
#include "controller/cache_set.hpp"
#include "controller/desired_policies.hpp"
#include "controller/status.hpp"
#include "kube/controller.hpp"
#include "kube/event_recorder.hpp"
#include "kube/rest_client.hpp"
#include "metrics/secure_service_metrics.hpp"
#include "pki/renewal.hpp"
#include "pki/revocation.hpp"

namespace sso::controller {

// The index on the SecureService cache that files each service under the keys
// ("ns/name") of the SecureServices it allows as clients: who must be looked at again when a
// client's selector or service account changes.
inline constexpr const char* kClientIndex = "allowed-client";
std::vector<std::string> allowed_client_keys(const nlohmann::json& secure_service);

// Reconciles one SecureService: gather (caches, the CA), decide (pure builders and the PKI
// engine's decision), write only what differs, then the status. See README "SecureService".
class SecureServiceReconciler {
 public:
  struct Deps {
    kube::RestClient& client;
    CacheSet services;
    CacheSet secrets;           // the Secrets the operator manages (label-selected)
    CacheSet network_policies;  // likewise
    CacheSet config_maps;       // the trust bundles
    CaSource& cluster_ca;
    kube::EventRecorder& events;
    metrics::SecureServiceMetrics& metrics;
    const Clock& clock;
    ClusterSettings settings;
    // Lists a serial on the cluster CA's CRL; true when newly (CaReconciler::revoke).
    std::function<Result<bool>(const std::string& serial, pki::RevocationReason reason)> revoke;
  };
  explicit SecureServiceReconciler(Deps deps) : d_(std::move(deps)) {}

  Result<kube::ReconcileResult> reconcile(const std::string& key);

 private:
  struct Outcome;
  Result<kube::ReconcileResult> finalize(const nlohmann::json& object);
  Status ensure_finalizer(const nlohmann::json& object);
  // Answers a secureservice.io/revoke request, then removes it; an error leaves it for a retry.
  Status answer_revocation_request(const api::SecureService& service, const nlohmann::json& object);
  void reconcile_identity(const api::SecureService& service, const nlohmann::json& object, Outcome& out);
  void restart_workloads(const api::SecureService& service, const nlohmann::json& object, int64_t revision,
                         const std::string& serial, Outcome& out);
  void reconcile_policies(const api::SecureService& service, const nlohmann::json& object, Outcome& out);
  void reconcile_trust_bundle(const api::SecureService& service, Outcome& out);
  Status sync_mesh(const api::SecureService& service, const nlohmann::json& object,
                   const std::vector<nlohmann::json>& desired, Outcome& out);
  // `written_version`, when given, gets the resourceVersion of the status written (unchanged
  // when nothing was written).
  Status write_status(const nlohmann::json& object, const std::vector<Condition>& conditions,
                      const std::optional<CertificateStatus>& certificate, std::string* written_version = nullptr);

  void forget_mesh(const std::string& key);
  // The SecureService moved from resourceVersion `from` to `to` by our own status write.
  void advance_mesh(const std::string& key, const std::string& from, const std::string& to);

  Deps d_;
  // Shared by the workers: each identity Secret's tls.key is read once, not on every reconcile.
  pki::KeyFactsCache key_facts_;
  // What sync_mesh last found in place, by SecureService key: a digest of the objects it
  // wanted, when it checked, how many there were, and the SecureService's resourceVersion
  // then (see sync_mesh).
  struct MeshInPlace {
    size_t digest = 0;
    TimePoint verified;
    int written = 0;
    std::string resource_version;
  };
  static constexpr std::chrono::minutes kMeshReverifyAfter{5};
  std::mutex mesh_mu_;
  std::unordered_map<std::string, MeshInPlace> mesh_in_place_;
};

}  // namespace sso::controller
