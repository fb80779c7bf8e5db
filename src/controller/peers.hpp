#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/secure_service.hpp"
#include "kube/label_selector.hpp"

namespace sso::controller {

// One side of an allowed connection, resolved against the SecureServices in the cache: who
// the pods are, where they live and which identity they carry.
struct Peer {
  // Plain pods (allowedClients[].podSelector/namespaceSelector): NetworkPolicy only.
  std::optional<kube::LabelSelector> pod_selector;
  std::optional<kube::LabelSelector> namespace_selector;
  // A SecureService peer: its name, namespace, pod selector and service account. `found` is
  // false when the referenced SecureService does not exist (yet): nothing is allowed for it.
  std::string secure_service;
  std::string ns;
  std::string service_account;
  bool found = false;
  std::vector<int> ports;               // the ports of the server that this peer may use
  std::vector<api::RequestRule> rules;  // the requests it may make there; empty: every request
  // For a server peer (egress): each port's protocol, as the server declares it.
  std::map<int, std::string> protocols;

  bool is_secure_service() const { return !secure_service.empty(); }
};

// The callers of `service`, each resolved: what its NetworkPolicy ingress and mesh
// authorization allow. `lookup(ns, name)` finds a SecureService in the cache.
template <typename Lookup>
std::vector<Peer> resolve_clients(const api::SecureService& service, Lookup&& lookup) {
  std::vector<Peer> peers;
  for (const auto& client : service.allowed_clients) {
    Peer peer;
    peer.ports = service.ports_for(client);
    peer.rules = client.rules;
    if (!client.is_secure_service()) {
      peer.pod_selector = client.pod_selector;
      peer.namespace_selector = client.namespace_selector;
    } else {
      peer.secure_service = client.secure_service;
      peer.ns = client.ns;
      if (const api::SecureService* found = lookup(client.ns, client.secure_service)) {
        peer.found = true;
        peer.pod_selector = found->selector;
        peer.service_account = found->service_account_name;
      }
    }
    peers.push_back(std::move(peer));
  }
  return peers;
}

}  // namespace sso::controller
