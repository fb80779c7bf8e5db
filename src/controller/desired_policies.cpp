#include "controller/desired_policies.hpp"

#include "controller/istio.hpp"
#include "controller/linkerd.hpp"
#include "controller/network_policy.hpp"

namespace sso::controller {

using nlohmann::json;

json build_trust_bundle(const std::string& ns, const ClusterCa& ca) {
  json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata",
              {{"name", kTrustBundleName},
               {"namespace", ns},
               {"labels", {{std::string(api::kManagedByLabel), std::string(api::kManagedByValue)}}}}},
             {"data", {{"ca.crt", ca.bundle_pem}}}};
  if (!ca.crl_pem.empty()) cm["data"]["ca.crl"] = ca.crl_pem;
  return cm;
}

std::vector<json> desired_policy_objects(const api::SecureService& service, const std::vector<Peer>& clients,
                                         const std::vector<Peer>& servers, const ClusterSettings& settings) {
  std::vector<json> out;
  if (service.network_policy_enabled) out.push_back(build_network_policy(service, clients, servers));
  std::vector<json> mesh;
  if (service.mesh == api::MeshProvider::kIstio)
    mesh = build_istio_objects(service, clients, settings.cluster_domain, settings.trust_domain);
  else if (service.mesh == api::MeshProvider::kLinkerd)
    mesh = build_linkerd_objects(service, clients);
  out.insert(out.end(), mesh.begin(), mesh.end());
  return out;
}

std::optional<std::string> unenforced_jwt(const api::SecureService& service) {
  if (service.authentication.jwt.empty() || service.mesh == api::MeshProvider::kIstio) return std::nullopt;
  return std::string("spec.authentication.jwt: ") +
         (service.mesh == api::MeshProvider::kLinkerd ? "Linkerd cannot verify JWTs"
                                                      : "no mesh verifies JWTs (spec.mesh.provider is None)") +
         ": tokens are not checked" +
         (service.authentication.require_jwt ? " and requests without one are not refused" : "");
}

std::vector<std::string> unenforced_requests(const api::SecureService& service) {
  std::vector<std::string> out;
  if (auto jwt = unenforced_jwt(service)) out.push_back(std::move(*jwt));
  if (service.mesh == api::MeshProvider::kNone)
    for (size_t i = 0; i < service.allowed_clients.size(); ++i)
      if (!service.allowed_clients[i].rules.empty())
        out.push_back("spec.allowedClients[" + std::to_string(i) + "].rules: no mesh enforces request rules " +
                      "(spec.mesh.provider is None): " + service.allowed_clients[i].ns + "/" +
                      service.allowed_clients[i].secure_service + " may make every request on its ports");
  return out;
}

std::vector<Peer> servers_of(const api::SecureService& client, const std::vector<api::SecureService>& servers) {
  std::vector<Peer> peers;
  for (const auto& server : servers) {
    for (const auto& allowed : server.allowed_clients) {
      if (!allowed.is_secure_service() || allowed.secure_service != client.name || allowed.ns != client.ns) continue;
      Peer peer;
      peer.secure_service = server.name;
      peer.ns = server.ns;
      peer.service_account = server.service_account_name;
      peer.pod_selector = server.selector;
      peer.found = true;
      peer.ports = server.ports_for(allowed);
      for (const auto& port : server.ports) peer.protocols[port.port] = port.protocol;
      peers.push_back(std::move(peer));
    }
  }
  return peers;
}

}  // namespace sso::controller
