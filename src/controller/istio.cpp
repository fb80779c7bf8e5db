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

// The JWT principals a request must carry under requireJWT: any subject of each issuer
// (`requestPrincipals` are "iss/sub"; authorization_policy.proto, Source.request_principals).
json required_request_principals(const api::SecureService& service) {
  json out = json::array();
  if (!service.authentication.require_jwt) return out;
  for (const auto& issuer : service.authentication.jwt) out.push_back(issuer.issuer + "/*");
  return out;
}

// The operations a client may call: its ports, and per request rule its methods and paths
// (Operation fields are ANDed, `to` entries ORed).
json operations(const Peer& client) {
  json ports = json::array();
  for (int port : std::set<int>(client.ports.begin(), client.ports.end())) ports.push_back(std::to_string(port));
  if (client.rules.empty()) return json::array({{{"operation", {{"ports", std::move(ports)}}}}});
  json to = json::array();
  for (const auto& rule : client.rules) {
    json operation = {{"ports", ports}};
    if (!rule.methods.empty()) operation["methods"] = rule.methods;
    if (!rule.paths.empty()) operation["paths"] = rule.paths;
    to.push_back({{"operation", std::move(operation)}});
  }
  return to;
}

json allow_rule(const api::SecureService& service, const Peer& client, std::string_view trust_domain) {
  json source = {{"principals", json::array({principal(trust_domain, client)})}};
  if (json jwt = required_request_principals(service); !jwt.empty()) source["requestPrincipals"] = std::move(jwt);
  return {{"from", json::array({{{"source", std::move(source)}}})}, {"to", operations(client)}};
}

// Every token a request carries must be valid for one of the issuers; whether one is
// required is the AuthorizationPolicy's requestPrincipals.
json request_authentication(const api::SecureService& service) {
  json object = owned_object(service, "security.istio.io/v1", "RequestAuthentication", service.name);
  json rules = json::array();
  for (const auto& issuer : service.authentication.jwt) {
    json rule = {{"issuer", issuer.issuer}};
    if (!issuer.jwks_uri.empty()) rule["jwksUri"] = issuer.jwks_uri;
    if (!issuer.audiences.empty()) rule["audiences"] = issuer.audiences;
    if (!issuer.from_headers.empty()) {
      json headers = json::array();
      for (const auto& h : issuer.from_headers) {
        json header = {{"name", h.name}};
        if (!h.prefix.empty()) header["prefix"] = h.prefix;
        headers.push_back(std::move(header));
      }
      rule["fromHeaders"] = std::move(headers);
    }
    rules.push_back(std::move(rule));
  }
  object["spec"] = {{"selector", workload_selector(service)}, {"jwtRules", std::move(rules)}};
  return object;
}

// One rule per client, sorted and without repeats: the policy allows their union, so
// allowedClients' order must not make a different object.
json allow_rules(const api::SecureService& service, const std::vector<Peer>& clients, std::string_view trust_domain) {
  std::set<std::string> seen;
  std::vector<json> rules;
  for (const auto& client : clients) {
    // Plain pods carry no mesh identity; a missing SecureService or one with no port
    // contributes nothing (an empty `to` would mean every port).
    if (!client.is_secure_service() || !client.found || client.service_account.empty() || client.ports.empty())
      continue;
    json rule = allow_rule(service, client, trust_domain);
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
  json rules = allow_rules(service, clients, trust_domain);
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
  std::vector<json> objects = {peer_authentication(service), destination_rule(service, cluster_domain)};
  // Before the AuthorizationPolicy that may require its tokens.
  if (!service.authentication.jwt.empty()) objects.push_back(request_authentication(service));
  objects.push_back(authorization_policy(service, clients, trust_domain));
  return objects;
}

}  // namespace sso::controller
