#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "api/secure_service.hpp"
#include "controller/peers.hpp"

namespace sso::controller {

// The Linkerd policy objects (policy.linkerd.io) to the same effect as the Istio ones:
// - one Server (v1beta3) per port, in port order, NAME-PORT: podSelector = the service's
//   selector, port, proxyProtocol "unknown" (detect), accessPolicy "deny" so that only
//   authorized clients get in;
// - per Server with at least one found client SecureService on that port: a
//   MeshTLSAuthentication (v1alpha1) NAME-PORT naming the clients' service accounts in
//   identityRefs ({kind: ServiceAccount, name, namespace}: Linkerd derives the proxy identity,
//   so no trust domain is spelled here) and an AuthorizationPolicy
//   (v1alpha1) NAME-PORT whose targetRef is the Server and whose requiredAuthenticationRefs
//   name the MeshTLSAuthentication.
//   identityRefs are sorted by namespace and name, each once. Each Server is followed by its
//   MeshTLSAuthentication and AuthorizationPolicy, so a write in order never leaves a policy
//   pointing at nothing.
// mtlsMode PERMISSIVE sets the Servers' accessPolicy to "all-unauthenticated" instead. Linkerd
// adds the accessPolicy's authorizations to the AuthorizationPolicies' (policy-controller
// inbound/index.rs), so this admits every caller, unlike Istio's PERMISSIVE.
std::vector<nlohmann::json> build_linkerd_objects(const api::SecureService& service, const std::vector<Peer>& clients);

}  // namespace sso::controller
