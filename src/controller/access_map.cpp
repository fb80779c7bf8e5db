#include "controller/access_map.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "controller/mesh_access.hpp"
#include "controller/peers.hpp"
#include "controller/written_object.hpp"

namespace sso::controller {

using nlohmann::json;
using written::kind_of;
using written::object_name;
using written::selects;
using written::spec_of;

namespace {

constexpr const char* kNamespaceNameLabel = "kubernetes.io/metadata.name";

std::string key_of(const std::string& ns, const std::string& name) { return ns + "/" + name; }

// Labels a pod a selector picks carries: matchLabels, plus the first value of each In and a
// value for each Exists (NotIn and DoesNotExist ask for nothing).
kube::Labels representative_labels(const kube::LabelSelector& selector) {
  kube::Labels labels = selector.match_labels;
  for (const auto& r : selector.match_expressions) {
    if (r.op == "In" && !r.values.empty()) labels.emplace(r.key, r.values.front());
    if (r.op == "Exists") labels.emplace(r.key, "any");
  }
  return labels;
}

std::string describe(const kube::Labels& labels) {
  std::string out;
  for (const auto& [k, v] : labels) out.append(out.empty() ? "" : ",").append(k).append("=").append(v);
  return out.empty() ? "(any)" : out;
}

bool has_type(const json& spec, const char* type) {
  const json types = spec.value("policyTypes", json::array());
  if (!types.is_array() || types.empty()) return std::string(type) == "Ingress" || spec.contains("egress");
  return std::find(types.begin(), types.end(), type) != types.end();
}

// The other end of a NetworkPolicy rule, as networking/v1 NetworkPolicyPeer matches it.
struct PodAt {
  std::string ns;
  const kube::Labels& labels;
  const kube::Labels& namespace_labels;
};

bool peer_matches(const json& peer, const std::string& policy_ns, const PodAt& pod) {
  if (!peer.is_object() || peer.contains("ipBlock")) return false;  // addresses, not pods
  const bool by_pods = peer.contains("podSelector"), by_namespaces = peer.contains("namespaceSelector");
  if (!by_pods && !by_namespaces) return false;
  if (by_namespaces ? !selects(peer["namespaceSelector"], pod.namespace_labels) : pod.ns != policy_ns) return false;
  return !by_pods || selects(peer["podSelector"], pod.labels);
}

bool port_matches(const json& ports, int port, const std::string& protocol, const std::string& port_name) {
  if (!ports.is_array() || ports.empty()) return true;  // every port
  for (const auto& p : ports) {
    if (p.value("protocol", "TCP") != protocol) continue;
    if (!p.contains("port")) return true;  // every port of the protocol
    const json& number = p["port"];
    if (number.is_number_integer()) {
      const int from = number.get<int>(), to = p.value("endPort", from);
      if (port >= from && port <= to) return true;
    } else if (number.is_string() && !port_name.empty() && number.get<std::string>() == port_name) {
      return true;
    }
  }
  return false;
}

std::string ports_text(const json& ports) {
  if (!ports.is_array() || ports.empty()) return "every port";
  std::string out;
  for (const auto& p : ports)
    out += (out.empty() ? "" : ", ") + (p.contains("port") ? p["port"].dump() : std::string("all")) + "/" +
           p.value("protocol", "TCP");
  return out;
}

// Each layer gets the objects of the namespace it acts in (AccessMap::objects_in).

// One direction of NetworkPolicy for the pod `subject` (in `subject_ns`): egress of the
// caller towards `other`, or ingress of the callee from `other`.
LayerVerdict network_policy_layer(const std::vector<json>& objects, bool ingress, const std::string& subject_name,
                                  const std::string& subject_ns, const kube::Labels& subject_labels,
                                  const std::string& other_name, const PodAt& other, const CallTarget& target) {
  const char* type = ingress ? "Ingress" : "Egress";
  const char* rules_field = ingress ? "ingress" : "egress";
  const char* peers_field = ingress ? "from" : "to";
  LayerVerdict v{ingress ? "NetworkPolicy ingress" : "NetworkPolicy egress", Verdict::kNotEnforced, ""};
  std::vector<std::string> applying;
  std::string peer_only_on;  // the ports a rule gives `other`, when only the port is wrong
  for (const auto& o : objects) {
    if (kind_of(o) != "NetworkPolicy") continue;
    const json& spec = spec_of(o);
    if (!has_type(spec, type) || !selects(spec.value("podSelector", json::object()), subject_labels)) continue;
    applying.push_back(object_name(o));
    for (const auto& rule : spec.value(rules_field, json::array())) {
      const json peers = rule.value(peers_field, json::array());
      const bool peer_ok =
          !peers.is_array() || peers.empty() ||
          std::any_of(peers.begin(), peers.end(), [&](const json& p) { return peer_matches(p, subject_ns, other); });
      if (!peer_ok) continue;
      const json ports = rule.value("ports", json::array());
      if (port_matches(ports, target.port, target.protocol, target.port_name)) {
        v.verdict = Verdict::kAllowed;
        v.reason = "NetworkPolicy " + object_name(o);
        v.reason.append(ingress ? " admits " : " lets " + subject_name + " reach ")
            .append(other_name)
            .append(" on " + std::to_string(target.port) + "/" + target.protocol);
        return v;
      }
      peer_only_on = ports_text(ports);
    }
  }
  if (applying.empty()) {
    v.reason = std::string("no NetworkPolicy selects ") + (subject_name.starts_with("pods ") ? "" : "the pods of ") +
               subject_name + " for " + rules_field;
    return v;
  }
  std::string names;
  for (const auto& n : applying) names += (names.empty() ? "" : ", ") + n;
  v.verdict = Verdict::kDenied;
  if (!peer_only_on.empty())
    v.reason = "NetworkPolicy " + names + " allows " + other_name + " only on " + peer_only_on + ", not " +
               std::to_string(target.port) + "/" + target.protocol;
  else if (ingress)
    v.reason = "NetworkPolicy " + names + " admits no rule for " + other_name +
               ": it is not in spec.allowedClients of " + subject_name;
  else
    v.reason = "NetworkPolicy " + names + " (spec.networkPolicy.egress: Restricted of " + subject_name +
               ") lets it reach only the SecureServices that allow it, and " + other_name + " does not";
  return v;
}

}  // namespace

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kAllowed: return "allowed";
    case Verdict::kDenied: return "denied";
    case Verdict::kNotEnforced: return "not enforced";
  }
  return "not enforced";
}

bool CallAnswer::allowed() const { return denied_by() == nullptr; }

const LayerVerdict* CallAnswer::denied_by() const {
  for (const auto& l : layers)
    if (l.verdict == Verdict::kDenied) return &l;
  return nullptr;
}

AccessMap::AccessMap(std::vector<api::SecureService> services, ClusterSettings settings)
    : services_(std::move(services)), settings_(std::move(settings)) {
  std::sort(services_.begin(), services_.end(), [](const api::SecureService& a, const api::SecureService& b) {
    return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
  });
  auto lookup = [this](const std::string& ns, const std::string& name) { return find(ns, name); };
  for (const auto& service : services_) {
    const auto clients = resolve_clients(service, lookup);
    std::vector<Peer> servers;
    if (service.restrict_egress) servers = servers_of(service, services_);
    auto objects = desired_policy_objects(service, clients, servers, settings_);
    for (auto& o : objects) objects_by_ns_[kube::namespace_of(o)].push_back(std::move(o));
  }
}

// services_ is sorted by namespace and name (the constructor), so a lookup is a binary search.
const api::SecureService* AccessMap::find(const std::string& ns, const std::string& name) const {
  const auto it =
      std::lower_bound(services_.begin(), services_.end(), std::tie(ns, name),
                       [](const api::SecureService& s, const auto& key) { return std::tie(s.ns, s.name) < key; });
  return it != services_.end() && it->ns == ns && it->name == name ? &*it : nullptr;
}

const std::vector<json>& AccessMap::objects_in(const std::string& ns) const {
  static const std::vector<json> kNone;
  const auto it = objects_by_ns_.find(ns);
  return it == objects_by_ns_.end() ? kNone : it->second;
}

Caller AccessMap::caller_of(const api::SecureService& service) {
  Caller c;
  c.name = key_of(service.ns, service.name);
  c.secure_service = c.name;
  c.ns = service.ns;
  c.pod_labels = representative_labels(service.selector);
  c.namespace_labels = {{kNamespaceNameLabel, service.ns}};
  c.service_account = service.service_account_name;
  return c;
}

CallAnswer AccessMap::call(const Caller& from, const api::SecureService& to, int port, const Request& request) const {
  CallTarget target{to, representative_labels(to.selector), {{kNamespaceNameLabel, to.ns}}, port, "TCP", ""};
  for (const auto& p : to.ports)
    if (p.port == port) {
      target.protocol = p.protocol;
      target.port_name = p.name;
    }
  const std::string to_name = key_of(to.ns, to.name);
  CallAnswer answer;
  const PodAt callee{to.ns, target.labels, target.namespace_labels};
  const PodAt caller{from.ns, from.pod_labels, from.namespace_labels};
  answer.layers.push_back(
      network_policy_layer(objects_in(from.ns), false, from.name, from.ns, from.pod_labels, to_name, callee, target));
  answer.layers.push_back(
      network_policy_layer(objects_in(to.ns), true, to_name, to.ns, target.labels, from.name, caller, target));
  if (to.mesh == api::MeshProvider::kIstio) {
    answer.layers.push_back(jwt_layer(objects_in(to.ns), request, target));
    answer.layers.push_back(istio_layer(objects_in(to.ns), from, request, target, settings_.trust_domain));
  } else {
    // What the provider cannot enforce is said, not left out.
    if (auto gap = unenforced_jwt(to)) answer.layers.push_back({"JWT", Verdict::kNotEnforced, std::move(*gap)});
    if (to.mesh == api::MeshProvider::kLinkerd)
      answer.layers.push_back(linkerd_layer(objects_in(to.ns), from, request, target));
  }
  return answer;
}

std::vector<AccessMap::Edge> AccessMap::edges() const {
  std::vector<Edge> out;
  for (const auto& server : services_) {
    for (const auto& client : server.allowed_clients) {
      Caller from;
      if (client.is_secure_service()) {
        const api::SecureService* found = find(client.ns, client.secure_service);
        if (!found) {
          from.name = key_of(client.ns, client.secure_service);
          from.secure_service = from.name;
          from.ns = client.ns;
          for (int port : server.ports_for(client))
            out.push_back({from, key_of(server.ns, server.name), port,
                           CallAnswer{{{"SecureService", Verdict::kDenied,
                                        "no SecureService " + from.name +
                                            ": the operator allows nothing for it until it exists"}}}});
          continue;
        }
        from = caller_of(*found);
      } else {
        // Plain pods: a pod their selector picks, in a namespace theirs picks (this one without).
        from.pod_labels = client.pod_selector ? representative_labels(*client.pod_selector) : kube::Labels{};
        if (client.namespace_selector) {
          from.namespace_labels = representative_labels(*client.namespace_selector);
          const auto pinned = from.namespace_labels.find(kNamespaceNameLabel);
          if (pinned != from.namespace_labels.end()) from.ns = pinned->second;
          from.name = "pods " + describe(from.pod_labels) + " in namespaces " + describe(from.namespace_labels);
        } else {
          from.ns = server.ns;
          from.namespace_labels = {{kNamespaceNameLabel, server.ns}};
          from.name = "pods " + describe(from.pod_labels) + " in namespace " + server.ns;
        }
      }
      Request declared;
      if (server.authentication.require_jwt && !server.authentication.jwt.empty())
        declared.jwt_issuer = server.authentication.jwt.front().issuer;
      for (int port : server.ports_for(client))
        out.push_back({from, key_of(server.ns, server.name), port, call(from, server, port, declared)});
    }
  }
  return out;
}

}  // namespace sso::controller
