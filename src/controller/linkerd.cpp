#include "controller/linkerd.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "controller/owned_object.hpp"

namespace sso::controller {
namespace {

using nlohmann::json;

constexpr const char* kPolicyGroup = "policy.linkerd.io";

std::string object_name(const api::SecureService& service, int port) {
  return service.name + "-" + std::to_string(port);
}

// Linkerd adds the accessPolicy's own authorizations to those of the AuthorizationPolicies
// (policy-controller inbound/index.rs), so "deny" is what makes the allow-list the only way
// in, and "all-unauthenticated" lets every caller in, plaintext included.
std::string access_policy(api::MtlsMode mode) {
  return mode == api::MtlsMode::kPermissive ? "all-unauthenticated" : "deny";
}

json server(const api::SecureService& service, int port) {
  json object = owned_object(service, "policy.linkerd.io/v1beta3", "Server", object_name(service, port));
  // proxyProtocol and accessPolicy are spelled although they equal the CRD defaults (in
  // STRICT), so the object equals what the API server returns.
  object["spec"] = {{"podSelector", service.selector.to_json()},
                    {"port", port},
                    {"proxyProtocol", "unknown"},
                    {"accessPolicy", access_policy(service.mtls_mode)}};
  return object;
}

// The service accounts of the found client SecureServices allowed on `port`, by namespace
// then name, each once.
std::set<std::pair<std::string, std::string>> identities_on(const std::vector<Peer>& clients, int port) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& client : clients) {
    if (!client.is_secure_service() || !client.found || client.service_account.empty()) continue;
    if (std::find(client.ports.begin(), client.ports.end(), port) == client.ports.end()) continue;
    out.emplace(client.ns, client.service_account);
  }
  return out;
}

json mesh_tls_authentication(const api::SecureService& service, int port,
                             const std::set<std::pair<std::string, std::string>>& identities) {
  json refs = json::array();
  for (const auto& [ns, account] : identities)
    refs.push_back({{"kind", "ServiceAccount"}, {"name", account}, {"namespace", ns}});
  json object =
      owned_object(service, "policy.linkerd.io/v1alpha1", "MeshTLSAuthentication", object_name(service, port));
  object["spec"] = {{"identityRefs", std::move(refs)}};
  return object;
}

json authorization_policy(const api::SecureService& service, int port) {
  const std::string name = object_name(service, port);
  json object = owned_object(service, "policy.linkerd.io/v1alpha1", "AuthorizationPolicy", name);
  object["spec"] = {{"targetRef", {{"group", kPolicyGroup}, {"kind", "Server"}, {"name", name}}},
                    {"requiredAuthenticationRefs",
                     json::array({{{"group", kPolicyGroup}, {"kind", "MeshTLSAuthentication"}, {"name", name}}})}};
  return object;
}

}  // namespace

std::vector<json> build_linkerd_objects(const api::SecureService& service, const std::vector<Peer>& clients) {
  std::set<int> ports;
  for (const auto& p : service.ports) ports.insert(p.port);
  std::vector<json> objects;
  // Per port, in port order, the Server before what refers to it: Linkerd ignores an
  // AuthorizationPolicy whose authentication it cannot find yet.
  for (int port : ports) {
    objects.push_back(server(service, port));
    const auto identities = identities_on(clients, port);
    // No identity, no authentication: MeshTLSAuthentication requires at least one, and the
    // Server's "deny" already refuses everyone.
    if (identities.empty()) continue;
    objects.push_back(mesh_tls_authentication(service, port, identities));
    objects.push_back(authorization_policy(service, port));
  }
  return objects;
}

}  // namespace sso::controller
