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
// - on a port where some client has request rules (allowedClients[].rules), the same
//   protection per route instead: Linkerd then authorizes HTTP requests by HTTPRoute only,
//   and answers 404 to a request no route matches. The rules' matches (methods by paths, plus
//   every request when a client has no rules) are closed under intersection, each match
//   authorized for the clients whose rules cover it, and the matches of the same clients
//   grouped: per group an HTTPRoute (v1beta3, parentRef the port's Server)
//   NAME-PORT-DIGEST, a MeshTLSAuthentication and an AuthorizationPolicy targeting the
//   route, all of that name (DIGEST names the clients). A client thus gets exactly the
//   requests its rules match, whichever route Gateway API precedence picks.
//   Linkerd's default route for kubelet probes is dropped too once a Server has routes.
// mtlsMode PERMISSIVE sets the Servers' accessPolicy to "all-unauthenticated" instead. Linkerd
// adds the accessPolicy's authorizations to the AuthorizationPolicies' (policy-controller
// inbound/index.rs), so this admits every caller, unlike Istio's PERMISSIVE.
std::vector<nlohmann::json> build_linkerd_objects(const api::SecureService& service, const std::vector<Peer>& clients);

}  // namespace sso::controller
