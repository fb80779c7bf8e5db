#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/secure_service.hpp"
#include "controller/cluster_ca.hpp"
#include "controller/peers.hpp"

namespace sso::controller {

// Where the operator runs: the names that go into certificates and mesh identities.
struct ClusterSettings {
  std::string cluster_domain = "cluster.local";
  std::string trust_domain = "cluster.local";
};

// The ConfigMap, one per namespace with a SecureService, that publishes the trust bundle
// (ca.crt: every CA workloads must trust; ca.crl: the signing CA's CRL), as Istio publishes
// istio-ca-root-cert and trust-manager its bundles.
inline constexpr const char* kTrustBundleName = "secureservice-trust-bundle";
nlohmann::json build_trust_bundle(const std::string& ns, const ClusterCa& ca);

// The NetworkPolicy (when enabled) and the mesh objects of `service`, in a fixed order.
std::vector<nlohmann::json> desired_policy_objects(const api::SecureService& service, const std::vector<Peer>& clients,
                                                   const std::vector<Peer>& servers, const ClusterSettings& settings);

// What `service` asks for that its mesh provider cannot enforce, one sentence each naming the
// field: JWTs without Istio, request rules without a mesh. Empty when everything applies.
// The MeshReady condition reports them: nothing asked for is dropped silently.
std::vector<std::string> unenforced_requests(const api::SecureService& service);
// Its JWT sentence alone, when the provider cannot verify JWTs.
std::optional<std::string> unenforced_jwt(const api::SecureService& service);

// The SecureServices that name `client` among their allowedClients, as peers of `client`'s
// egress: their pods, namespace, and the ports they allow `client` on.
std::vector<Peer> servers_of(const api::SecureService& client, const std::vector<api::SecureService>& servers);

}  // namespace sso::controller
