// Fuzz target: a SecureService manifest as `render` and the admission webhook read it: YAML
// (or JSON) documents, then the API's defaults and checks, then what the controller derives
// from a valid object (the identity it mints, the NetworkPolicy it writes with no peers, and
// its Istio and Linkerd objects with every SecureService client found, request rules and all).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/secure_service.hpp"
#include "controller/istio.hpp"
#include "controller/linkerd.hpp"
#include "controller/network_policy.hpp"
#include "kube/manifest_yaml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto objects = sso::kube::read_manifests(text, "fuzz");
  if (!objects.ok()) return 0;
  for (const auto& object : *objects) {
    auto service = sso::api::parse_secure_service(object);
    if (!service.ok()) continue;
    (void)sso::api::identity_request(*service, "cluster.local", "cluster.local");
    (void)sso::controller::build_network_policy(*service, {}, {});
    // Every client SecureService resolves to this one: found, with its account.
    const auto clients =
        sso::controller::resolve_clients(*service, [&](const std::string&, const std::string&) { return &*service; });
    (void)sso::controller::build_istio_objects(*service, clients, "cluster.local", "cluster.local");
    (void)sso::controller::build_linkerd_objects(*service, clients);
  }
  return 0;
}
