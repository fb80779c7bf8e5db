#include "controller/network_policy.hpp"

#include <algorithm>
#include <set>
#include <string>

#include "controller/owned_object.hpp"

namespace sso::controller {
namespace {

using nlohmann::json;

// kube-apiserver labels every namespace with its own name (GA in 1.22), the one label a
// namespaceSelector can rely on to pick exactly one namespace.
constexpr const char* kNamespaceNameLabel = "kubernetes.io/metadata.name";

json namespace_named(const std::string& ns) { return {{"matchLabels", {{kNamespaceNameLabel, ns}}}}; }

// A SecureService peer's pods; outside `own_ns` the namespace is pinned too, since a
// podSelector alone only ever matches pods in the policy's own namespace.
json secure_service_peer(const Peer& peer, const std::string& own_ns) {
  json out = {{"podSelector", peer.pod_selector->to_json()}};
  if (!peer.ns.empty() && peer.ns != own_ns) out["namespaceSelector"] = namespace_named(peer.ns);
  return out;
}

// A plain client as the user wrote it: a podSelector alone means this namespace, a
// namespaceSelector alone every pod of those namespaces, both together their intersection.
json plain_peer(const Peer& peer) {
  json out = json::object();
  if (peer.pod_selector) out["podSelector"] = peer.pod_selector->to_json();
  if (peer.namespace_selector) out["namespaceSelector"] = peer.namespace_selector->to_json();
  return out;
}

// The protocol of one of the service's own ports; TCP, the API default, for an unknown one.
std::string protocol_of(const api::SecureService& service, int port) {
  for (const auto& p : service.ports)
    if (p.port == port) return p.protocol;
  return "TCP";
}

// Ports in number order, each once. The protocol is always spelled: kube-apiserver defaults
// it to TCP, and an object that omitted it would differ from what is read back.
json port_list(const std::vector<int>& ports, const auto& protocol_for) {
  json out = json::array();
  for (int port : std::set<int>(ports.begin(), ports.end()))
    out.push_back({{"protocol", protocol_for(port)}, {"port", port}});
  return out;
}

// Rules have no meaningful order (a NetworkPolicy allows the union of them); servers come
// from a cache scan, clients in the user's order. Sorting makes the object a function of the
// set alone, so reordering allowedClients or a relist writes nothing.
json sorted_unique(std::vector<json> rules) {
  std::vector<std::pair<std::string, json>> keyed;
  keyed.reserve(rules.size());
  for (auto& rule : rules) keyed.emplace_back(rule.dump(), std::move(rule));
  std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  keyed.erase(std::unique(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
              keyed.end());
  json out = json::array();
  for (auto& [key, rule] : keyed) out.push_back(std::move(rule));
  return out;
}

std::vector<json> ingress_rules(const api::SecureService& service, const std::vector<Peer>& clients) {
  std::vector<json> rules;
  for (const auto& client : clients) {
    // A missing SecureService, or a client with no port, allows nothing: no rule, not an
    // empty one (an empty `from` or `ports` would mean everyone or every port).
    if (client.ports.empty()) continue;
    if (client.is_secure_service() && (!client.found || !client.pod_selector)) continue;
    if (!client.is_secure_service() && !client.pod_selector && !client.namespace_selector) continue;
    json peer = client.is_secure_service() ? secure_service_peer(client, service.ns) : plain_peer(client);
    rules.push_back({{"from", json::array({peer})},
                     {"ports", port_list(client.ports, [&](int port) { return protocol_of(service, port); })}});
  }
  return rules;
}

// Cluster DNS as kubeadm, kops and most distributions deploy it: CoreDNS pods labelled
// k8s-app=kube-dns in kube-system, over UDP and TCP (TCP for truncated answers).
json dns_rule() {
  json to = {{"namespaceSelector", namespace_named("kube-system")},
             {"podSelector", {{"matchLabels", {{"k8s-app", "kube-dns"}}}}}};
  return {{"to", json::array({to})},
          {"ports", json::array({{{"protocol", "UDP"}, {"port", 53}}, {{"protocol", "TCP"}, {"port", 53}}})}};
}

std::vector<json> egress_rules(const api::SecureService& service, const std::vector<Peer>& servers) {
  std::vector<json> rules;
  if (service.allow_dns) rules.push_back(dns_rule());
  for (const auto& server : servers) {
    if (!server.found || !server.pod_selector || server.ports.empty()) continue;
    auto protocol = [&](int port) -> std::string {
      auto it = server.protocols.find(port);
      return it == server.protocols.end() ? "TCP" : it->second;
    };
    rules.push_back(
        {{"to", json::array({secure_service_peer(server, service.ns)})}, {"ports", port_list(server.ports, protocol)}});
  }
  return rules;
}

}  // namespace

json build_network_policy(const api::SecureService& service, const std::vector<Peer>& clients,
                          const std::vector<Peer>& servers) {
  json policy = owned_object(service, "networking.k8s.io/v1", "NetworkPolicy", service.name);
  json spec = {{"podSelector", service.selector.to_json()}};
  json types = json::array({"Ingress"});
  // kube-apiserver drops empty rule lists (omitempty), so an empty one is left out here too
  // rather than written as []: with its policyType listed, an absent list denies everything.
  json ingress = sorted_unique(ingress_rules(service, clients));
  if (!ingress.empty()) spec["ingress"] = std::move(ingress);
  if (service.restrict_egress) {
    types.push_back("Egress");
    json egress = sorted_unique(egress_rules(service, servers));
    if (!egress.empty()) spec["egress"] = std::move(egress);
  }
  spec["policyTypes"] = std::move(types);
  policy["spec"] = std::move(spec);
  return policy;
}

}  // namespace sso::controller
