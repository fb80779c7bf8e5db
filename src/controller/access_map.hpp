#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/secure_service.hpp"
#include "controller/desired_policies.hpp"
#include "kube/label_selector.hpp"

// Who may call whom (`secureservice-operator explain`). The map builds the NetworkPolicies and
// mesh objects the operator writes for a set of SecureServices (the builders the controller
// and `render` use), then evaluates a call against those objects as the cluster enforces
// them: the caller's egress NetworkPolicies, the callee's ingress NetworkPolicies (Kubernetes'
// semantics: a pod selected by no policy of a direction is not isolated in it), then the mesh
// (Istio RequestAuthentication, PeerAuthentication and AuthorizationPolicy; Linkerd Server,
// HTTPRoute, AuthorizationPolicy and MeshTLSAuthentication). Evaluating what is written, not the specs, keeps its
// answers true to what the cluster does.
namespace sso::controller {

// One side of a call: a SecureService's pods, or plain pods an allowedClients entry names.
struct Caller {
  std::string name;  // "shop/checkout", or "pods app=prometheus in namespaces kubernetes.io/metadata.name=monitoring"
  std::optional<std::string> secure_service;  // "shop/checkout" for a SecureService
  std::string ns;                             // where its pods are (a representative namespace)
  kube::Labels pod_labels;                    // labels a pod of it carries
  kube::Labels namespace_labels;              // labels of that namespace
  std::string service_account;                // empty: no mesh identity
};

// What a call carries, for the layers that look inside it (the mesh's request rules and
// JWT). With no method and path the question is about the port, and a layer that allows
// only some requests says which.
struct Request {
  std::string method;
  std::string path;
  std::optional<std::string> jwt_issuer;  // the issuer of a valid token it carries; none: no token
  bool asks_operation() const { return !method.empty() || !path.empty(); }
};

enum class Verdict { kAllowed, kDenied, kNotEnforced };
std::string_view to_string(Verdict verdict);  // "allowed", "denied", "not enforced"

struct LayerVerdict {
  std::string layer;  // "NetworkPolicy egress", "NetworkPolicy ingress", "JWT", "Istio", "Linkerd"
  Verdict verdict = Verdict::kNotEnforced;
  std::string reason;
};

// The layers in the order traffic meets them; the call is allowed when none denies it.
struct CallAnswer {
  std::vector<LayerVerdict> layers;
  bool allowed() const;
  const LayerVerdict* denied_by() const;  // the first layer that denies; null when allowed
};

class AccessMap {
 public:
  AccessMap(std::vector<api::SecureService> services, ClusterSettings settings);

  const std::vector<api::SecureService>& services() const { return services_; }
  const api::SecureService* find(const std::string& ns, const std::string& name) const;
  // The pods of `service` as a caller: its selector's labels, its namespace, its account.
  static Caller caller_of(const api::SecureService& service);

  CallAnswer call(const Caller& from, const api::SecureService& to, int port, const Request& request = {}) const;

  // Every call the SecureServices declare: for each service (by namespace, name), each of its
  // allowedClients, each port that client is given; a caller of a service that requires a JWT
  // is taken to send a valid one from its first issuer.
  struct Edge {
    Caller from;
    std::string to;  // "ns/name"
    int port = 0;
    CallAnswer answer;
  };
  std::vector<Edge> edges() const;

 private:
  std::vector<api::SecureService> services_;
  ClusterSettings settings_;
  // Every NetworkPolicy and mesh object the operator writes, by namespace: each acts only there.
  std::map<std::string, std::vector<nlohmann::json>> objects_by_ns_;
  const std::vector<nlohmann::json>& objects_in(const std::string& ns) const;
};

}  // namespace sso::controller
