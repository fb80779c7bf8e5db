#include "controller/istio.hpp"

#include <algorithm>
#include <set>
#include <string>

#include "controller/owned_object.hpp"

namespace sso::controller {
namespace {

using nlohmann::json;

// istio.type.v1beta1.WorkloadSelector: matchLabels only.
json workload_selector(const api::SecureService& service) { return {{"matchLabels", service.selector.match_labels}}; }

json peer_authentication(const api::SecureService& service) {
  json object = owned_object(service, "security.istio.io/v1", "PeerAuthentication", service.name);
  object["spec"] = {{"selector", workload_selector(service)},
                    {"mtls", {{"mode", std::string(api::to_string(service.mtls_mode))}}}};
  return object;
}

// Clients use Istio's own certificates towards the service (ISTIO_MUTUAL), whatever the
// mesh-wide default, so that STRICT on the server side never meets a plaintext caller.
json destination_rule(const api::SecureService& service, std::string_view cluster_domain) {
  json object = owned_object(service, "networking.istio.io/v1", "DestinationRule", service.name);
  object["spec"] = {{"host", service.name + "." + service.ns + ".svc." + std::string(cluster_domain)},
                    {"trafficPolicy", {{"tls", {{"mode", "ISTIO_MUTUAL"}}}}}};
  return object;
}

// The peer identity Istio matches `source.principals` against: the SPIFFE ID without its
// scheme (security/v1beta1/authorization_policy.proto, Source.principals).
std::string principal(std::string_view trust_domain, const Peer& peer) {
  return std::string(trust_domain) + "/ns/" + peer.ns + "/sa/" + peer.service_account;
}

json allow_rule(const Peer& client, std::string_view trust_domain) {
  json ports = json::array();
  for (int port : std::set<int>(client.ports.begin(), client.ports.end())) ports.push_back(std::to_string(port));
  return {{"from", json::array({{{"source", {{"principals", json::array({principal(trust_domain, client)})}}}}})},
          {"to", json::array({{{"operation", {{"ports", std::move(ports)}}}}})}};
}

// One rule per client, sorted and without repeats: the policy allows their union, so
// allowedClients' order must not make a different object.
json allow_rules(const std::vector<Peer>& clients, std::string_view trust_domain) {
  std::set<std::string> seen;
  std::vector<json> rules;
  for (const auto& client : clients) {
    // Plain pods carry no mesh identity; a missing SecureService or one with no port
    // contributes nothing (an empty `to` would mean every port).
    if (!client.is_secure_service() || !client.found || client.service_account.empty() || client.ports.empty())
      continue;
    json rule = allow_rule(client, trust_domain);
    if (seen.insert(rule.dump()).second) rules.push_back(std::move(rule));
  }
  std::sort(rules.begin(), rules.end(), [](const json& a, const json& b) { return a.dump() < b.dump(); });
  return json(std::move(rules));
}

json authorization_policy(const api::SecureService& service, const std::vector<Peer>& clients,
                          std::string_view trust_domain) {
  json object = owned_object(service, "security.istio.io/v1", "AuthorizationPolicy", service.name);
  json spec = {{"selector", workload_selector(service)}, {"action", "ALLOW"}};
  // No rules at all, not `rules: [{}]` (which would allow everything): an ALLOW policy that
  // matches nothing denies every request to the workload.
  json rules = allow_rules(clients, trust_domain);
  if (!rules.empty()) spec["rules"] = std::move(rules);
  object["spec"] = std::move(spec);
  return object;
}

}  // namespace

std::vector<json> build_istio_objects(const api::SecureService& service, const std::vector<Peer>& clients,
                                      std::string_view cluster_domain, std::string_view trust_domain) {
  // A workload selector without labels selects every workload in the namespace (and, in
  // Istio's root namespace, the mesh): the workload-scoped objects need matchLabels.
  if (service.selector.match_labels.empty()) return {destination_rule(service, cluster_domain)};
  return {peer_authentication(service), destination_rule(service, cluster_domain),
          authorization_policy(service, clients, trust_domain)};
}

}  // namespace sso::controller
