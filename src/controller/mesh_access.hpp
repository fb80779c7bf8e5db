#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/secure_service.hpp"
#include "controller/access_map.hpp"
#include "kube/label_selector.hpp"

// The mesh layers of a call in the access map: each evaluates the mesh objects the operator
// writes in the callee's namespace as the mesh enforces them.
namespace sso::controller {

// The callee's end of a call: a pod of the service, on one port.
struct CallTarget {
  const api::SecureService& service;
  kube::Labels labels;
  kube::Labels namespace_labels;
  int port;
  std::string protocol;
  std::string port_name;
};

// Istio RequestAuthentication: a token must be valid for one of the issuers of the policies
// that select the pods (else 401); a request without a token passes this layer.
LayerVerdict jwt_layer(const std::vector<nlohmann::json>& objects, const Request& request, const CallTarget& to);

// Istio PeerAuthentication (STRICT refuses a caller without a mesh identity), then the DENY
// and ALLOW AuthorizationPolicies: principals, requestPrincipals, ports, methods and paths.
LayerVerdict istio_layer(const std::vector<nlohmann::json>& objects, const Caller& from, const Request& request,
                         const CallTarget& to, const std::string& trust_domain);

// Linkerd: the port's Server and its accessPolicy; without HTTPRoutes, the AuthorizationPolicies
// of the Server; with them, the route the request lands on (Gateway API precedence; none is
// a 404) and the AuthorizationPolicies of that route.
LayerVerdict linkerd_layer(const std::vector<nlohmann::json>& objects, const Caller& from, const Request& request,
                           const CallTarget& to);

}  // namespace sso::controller
