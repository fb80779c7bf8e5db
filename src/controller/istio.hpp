#pragma once

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/secure_service.hpp"
#include "controller/peers.hpp"

namespace sso::controller {

// The Istio objects that make the service's traffic strict mTLS and let only the declared
// clients' identities call it, all named after the service:
// - security.istio.io/v1 PeerAuthentication: spec.selector.matchLabels = the service's
//   matchLabels, mtls.mode = spec.mesh.mtlsMode;
// - networking.istio.io/v1 DestinationRule: host NAME.NAMESPACE.svc.CLUSTER_DOMAIN,
//   trafficPolicy.tls.mode ISTIO_MUTUAL;
// - security.istio.io/v1 AuthorizationPolicy: action ALLOW, one rule per found client
//   SecureService: from.source.principals ["TRUST_DOMAIN/ns/NS/sa/SA"], to.operation.ports
//   (as strings), rules sorted and each written once. A client with request rules gets one
//   `to` operation per rule, its methods and paths with the ports. Under requireJWT every
//   rule's source also needs requestPrincipals "ISSUER/*" of one of the issuers. No rule when no client is found: an
//   ALLOW policy that matches nothing denies every request to the workload, which is what an
//   empty allow-list means (authorization_policy.proto, "allow-nothing").
// - security.istio.io/v1 RequestAuthentication, when spec.authentication.jwt names issuers:
//   jwtRules with each issuer, jwksUri, audiences and fromHeaders (written before the
//   AuthorizationPolicy that relies on it).
// Under PERMISSIVE the AuthorizationPolicy still admits only the listed principals: a
// plaintext caller has none, so it passes PeerAuthentication and is denied here.
// Istio selectors take matchLabels only; a service selected by matchExpressions gets its
// matchLabels alone (an error would stop the rest; the MeshReady condition says why). A
// service with no matchLabels at all gets the DestinationRule only: a WorkloadSelector
// without labels selects every workload of the namespace (of the mesh, in the root one).
std::vector<nlohmann::json> build_istio_objects(const api::SecureService& service, const std::vector<Peer>& clients,
                                                std::string_view cluster_domain, std::string_view trust_domain);

}  // namespace sso::controller
