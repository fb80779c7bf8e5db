#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/secure_service.hpp"
#include "controller/peers.hpp"

namespace sso::testing {

// A SecureService `name` in `ns` as parse_secure_service leaves it: pods app=NAME, service
// account NAME, ports 8443 (https) and 9090 (metrics), both TCP.
inline api::SecureService make_secure_service(const std::string& name = "payments", const std::string& ns = "shop") {
  api::SecureService s;
  s.name = name;
  s.ns = ns;
  s.uid = "uid-" + name;
  s.generation = 1;
  s.selector.match_labels = {{"app", name}};
  s.service_account_name = name;
  s.ports = {{"https", 8443, "TCP"}, {"metrics", 9090, "TCP"}};
  return s;
}

// A peer that is a SecureService found in the cache: pods app=NAME, service account SA.
inline controller::Peer found_peer(const std::string& name, const std::string& ns, std::vector<int> ports,
                                   const std::string& service_account = "") {
  controller::Peer p;
  p.secure_service = name;
  p.ns = ns;
  p.found = true;
  p.pod_selector = kube::LabelSelector{{{"app", name}}, {}};
  p.service_account = service_account.empty() ? name : service_account;
  p.ports = std::move(ports);
  return p;
}

// A SecureService peer that the cache does not hold (yet).
inline controller::Peer missing_peer(const std::string& name, const std::string& ns, std::vector<int> ports) {
  controller::Peer p;
  p.secure_service = name;
  p.ns = ns;
  p.ports = std::move(ports);
  return p;
}

// Plain pods by selectors (allowedClients[].podSelector/namespaceSelector).
inline controller::Peer plain_peer(std::optional<kube::LabelSelector> pods,
                                   std::optional<kube::LabelSelector> namespaces, std::vector<int> ports) {
  controller::Peer p;
  p.pod_selector = std::move(pods);
  p.namespace_selector = std::move(namespaces);
  p.ports = std::move(ports);
  return p;
}

}  // namespace sso::testing
