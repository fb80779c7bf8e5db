#include "controller/linkerd.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "controller/http_match.hpp"
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

using Identity = std::pair<std::string, std::string>;  // namespace, ServiceAccount
using Identities = std::set<Identity>;

bool is_meshed_client(const Peer& client) {
  return client.is_secure_service() && client.found && !client.service_account.empty();
}

bool allowed_on(const Peer& client, int port) {
  return std::find(client.ports.begin(), client.ports.end(), port) != client.ports.end();
}

// The service accounts of the found client SecureServices allowed on `port`, by namespace
// then name, each once.
Identities identities_on(const std::vector<Peer>& clients, int port) {
  Identities out;
  for (const auto& client : clients)
    if (is_meshed_client(client) && allowed_on(client, port)) out.emplace(client.ns, client.service_account);
  return out;
}

json mesh_tls_authentication(const api::SecureService& service, const std::string& name, const Identities& identities) {
  json refs = json::array();
  for (const auto& [ns, account] : identities)
    refs.push_back({{"kind", "ServiceAccount"}, {"name", account}, {"namespace", ns}});
  json object = owned_object(service, "policy.linkerd.io/v1alpha1", "MeshTLSAuthentication", name);
  object["spec"] = {{"identityRefs", std::move(refs)}};
  return object;
}

json authorization_policy(const api::SecureService& service, const std::string& name, const char* target_kind) {
  json object = owned_object(service, "policy.linkerd.io/v1alpha1", "AuthorizationPolicy", name);
  object["spec"] = {{"targetRef", {{"group", kPolicyGroup}, {"kind", target_kind}, {"name", name}}},
                    {"requiredAuthenticationRefs",
                     json::array({{{"group", kPolicyGroup}, {"kind", "MeshTLSAuthentication"}, {"name", name}}})}};
  return object;
}

// The HTTPRoute limits: 16 rules of 8 matches each (the Gateway API's maxItems).
constexpr size_t kMatchesPerRule = 8;
constexpr size_t kMatchesPerRoute = 16 * kMatchesPerRule;

json http_route(const api::SecureService& service, int port, const std::string& name,
                const std::vector<HttpMatch>& matches) {
  json rules = json::array();
  for (size_t i = 0; i < matches.size(); i += kMatchesPerRule) {
    json rule_matches = json::array();
    for (size_t j = i; j < std::min(matches.size(), i + kMatchesPerRule); ++j) {
      json match = {{"path", {{"type", matches[j].exact ? "Exact" : "PathPrefix"}, {"value", matches[j].path}}}};
      if (!matches[j].method.empty()) match["method"] = matches[j].method;
      rule_matches.push_back(std::move(match));
    }
    rules.push_back({{"matches", std::move(rule_matches)}});
  }
  json object = owned_object(service, "policy.linkerd.io/v1beta3", "HTTPRoute", name);
  object["spec"] = {
      {"parentRefs",
       json::array({{{"group", kPolicyGroup}, {"kind", "Server"}, {"name", object_name(service, port)}}})},
      {"rules", std::move(rules)}};
  return object;
}

// A short name for a set of identities, the same on every platform and run (FNV-1a): a
// route's name changes with who it authorizes, so that a route never carries, even for one
// write, the matches of another's.
std::string digest_of(const Identities& identities) {
  uint32_t h = 2166136261u;
  const auto add = [&h](std::string_view text) {
    for (char c : text) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  };
  for (const auto& [ns, account] : identities) {
    add(ns);
    add("/");
    add(account);
    add("\n");
  }
  char out[9];
  std::snprintf(out, sizeof out, "%08x", h);
  return out;
}

// A port some client may call only with request rules. Linkerd authorizes HTTP requests per
// route once a Server has HTTPRoutes (a request no route matches gets 404), so every client
// goes through routes: the matches of all rules (and "every request" for clients without
// rules), closed under intersection; each match is authorized for the clients whose rules
// cover it; matches authorized for the same clients share one HTTPRoute, its
// MeshTLSAuthentication and its AuthorizationPolicy.
void add_routes(const api::SecureService& service, int port, const std::vector<Peer>& clients,
                std::vector<json>& objects) {
  Identities unrestricted;
  std::vector<std::pair<Identity, std::vector<HttpMatch>>> restricted;
  std::vector<HttpMatch> candidates;
  for (const auto& client : clients) {
    if (!is_meshed_client(client) || !allowed_on(client, port)) continue;
    const Identity id{client.ns, client.service_account};
    if (client.rules.empty()) {
      unrestricted.insert(id);
      continue;
    }
    std::vector<HttpMatch> own;
    for (const auto& rule : client.rules)
      for (auto& m : matches_of(rule)) own.push_back(std::move(m));
    candidates.insert(candidates.end(), own.begin(), own.end());
    restricted.emplace_back(id, std::move(own));
  }
  if (!unrestricted.empty()) candidates.push_back(HttpMatch{});
  std::map<Identities, std::vector<HttpMatch>> routes;
  for (const auto& match : closed_under_intersection(std::move(candidates))) {
    Identities allowed = unrestricted;
    for (const auto& [id, own] : restricted)
      if (std::any_of(own.begin(), own.end(), [&](const HttpMatch& m) { return covers(m, match); })) allowed.insert(id);
    routes[allowed].push_back(match);
  }
  for (const auto& [identities, matches] : routes) {
    const std::string base = object_name(service, port) + "-" + digest_of(identities);
    for (size_t i = 0; i < matches.size(); i += kMatchesPerRoute) {
      const std::string name = i == 0 ? base : base + "-" + std::to_string(i / kMatchesPerRoute + 1);
      const std::vector<HttpMatch> chunk(
          matches.begin() + static_cast<std::ptrdiff_t>(i),
          matches.begin() + static_cast<std::ptrdiff_t>(std::min(matches.size(), i + kMatchesPerRoute)));
      objects.push_back(http_route(service, port, name, chunk));
      objects.push_back(mesh_tls_authentication(service, name, identities));
      objects.push_back(authorization_policy(service, name, "HTTPRoute"));
    }
  }
}

bool has_rules_on(const std::vector<Peer>& clients, int port) {
  return std::any_of(clients.begin(), clients.end(),
                     [&](const Peer& c) { return is_meshed_client(c) && allowed_on(c, port) && !c.rules.empty(); });
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
    if (has_rules_on(clients, port)) {
      add_routes(service, port, clients, objects);
      continue;
    }
    const auto identities = identities_on(clients, port);
    // No identity, no authentication: MeshTLSAuthentication requires at least one, and the
    // Server's "deny" already refuses everyone.
    if (identities.empty()) continue;
    objects.push_back(mesh_tls_authentication(service, object_name(service, port), identities));
    objects.push_back(authorization_policy(service, object_name(service, port), "Server"));
  }
  return objects;
}

}  // namespace sso::controller
