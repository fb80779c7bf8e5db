#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "api/secure_service.hpp"
#include "controller/peers.hpp"

namespace sso::controller {

// The NetworkPolicy named after the service (networking.k8s.io/v1): the service's pods
// (spec.selector) accept ingress only from `clients`, each on its ports; a SecureService
// client in another namespace is matched by the `kubernetes.io/metadata.name` namespace label
// that kube-apiserver sets; a client that was not found contributes no rule (deny).
// With egress Restricted the policy also covers Egress: DNS (UDP and TCP 53 to any pod in
// kube-system labelled k8s-app=kube-dns) when allowDNS, and each of `servers` (the
// SecureServices that list this one as a client) on the ports they allow it, as TCP: a Peer
// carries port numbers, not the server's protocols.
// Rules are sorted and each written once (a policy allows their union), and an empty rule
// list is left out as kube-apiserver leaves it out (omitempty), so the object depends on the
// set of peers alone and equals what is read back.
nlohmann::json build_network_policy(const api::SecureService& service, const std::vector<Peer>& clients,
                                    const std::vector<Peer>& servers);

}  // namespace sso::controller
