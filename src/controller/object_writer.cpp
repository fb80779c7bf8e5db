#include "controller/object_writer.hpp"

namespace sso::controller {

using nlohmann::json;

namespace {

bool map_contains(const json& have, const json& want) {
  if (!want.is_object()) return true;
  if (!have.is_object()) return want.empty();
  for (const auto& [k, v] : want.items())
    if (!have.contains(k) || have[k] != v) return false;
  return true;
}

}  // namespace

bool differs(const json& existing, const json& desired) {
  if (!existing.is_object()) return true;
  for (const auto& [key, value] : desired.items()) {
    if (key == "metadata" || key == "status") continue;
    if (!existing.contains(key) || existing[key] != value) return true;
  }
  const json& want = desired.value("metadata", json::object());
  const json have = existing.value("metadata", json::object());
  if (!map_contains(have.value("labels", json::object()), want.value("labels", json::object()))) return true;
  if (!map_contains(have.value("annotations", json::object()), want.value("annotations", json::object()))) return true;
  if (want.contains("ownerReferences") && have.value("ownerReferences", json::array()) != want["ownerReferences"])
    return true;
  return false;
}

Result<WriteOutcome> write_if_differs(kube::RestClient& client, const kube::ResourceType& type, const json& existing,
                                      const json& desired) {
  const std::string what = type.kind + " " + kube::object_key(desired);
  if (!existing.is_object()) {
    SSO_RETURN_IF_ERROR(client.create(type, desired), "create " + what);
    return WriteOutcome::kCreated;
  }
  if (!differs(existing, desired)) return WriteOutcome::kUnchanged;
  json updated = existing;
  for (const auto& [key, value] : desired.items())
    if (key != "metadata" && key != "status") updated[key] = value;
  json& meta = updated["metadata"];
  const json& want = desired["metadata"];
  for (const char* part : {"labels", "annotations"}) {
    if (!want.contains(part)) continue;
    if (!meta.contains(part) || !meta[part].is_object()) meta[part] = json::object();
    for (const auto& [k, v] : want[part].items()) meta[part][k] = v;
  }
  if (want.contains("ownerReferences")) meta["ownerReferences"] = want["ownerReferences"];
  meta.erase("managedFields");
  SSO_RETURN_IF_ERROR(client.update(type, updated), "update " + what);
  return WriteOutcome::kUpdated;
}

const std::vector<kube::ResourceType>& mesh_types() {
  static const std::vector<kube::ResourceType> kTypes = {
      {"security.istio.io", "v1", "peerauthentications", "PeerAuthentication", true},
      {"networking.istio.io", "v1", "destinationrules", "DestinationRule", true},
      {"security.istio.io", "v1", "requestauthentications", "RequestAuthentication", true},
      {"security.istio.io", "v1", "authorizationpolicies", "AuthorizationPolicy", true},
      {"policy.linkerd.io", "v1beta3", "servers", "Server", true},
      {"policy.linkerd.io", "v1alpha1", "meshtlsauthentications", "MeshTLSAuthentication", true},
      {"policy.linkerd.io", "v1beta3", "httproutes", "HTTPRoute", true},
      {"policy.linkerd.io", "v1alpha1", "authorizationpolicies", "AuthorizationPolicy", true},
  };
  return kTypes;
}

Result<kube::ResourceType> resource_type_of(const json& object) {
  const std::string api_version = kube::string_field(object, "apiVersion");
  const std::string kind = kube::string_field(object, "kind");
  const auto slash = api_version.find('/');
  const std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  const std::string version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
  struct Known {
    const char* group;
    const char* kind;
    const char* plural;
  };
  static const Known kCore[] = {
      {"", "Secret", "secrets"},
      {"", "ConfigMap", "configmaps"},
      {"networking.k8s.io", "NetworkPolicy", "networkpolicies"},
  };
  for (const auto& k : kCore)
    if (group == k.group && kind == k.kind) return kube::ResourceType{group, version, k.plural, kind, true};
  for (const auto& type : mesh_types())
    if (group == type.group && kind == type.kind) return kube::ResourceType{group, version, type.plural, kind, true};
  return invalid_argument("no resource type known for " + api_version + " " + kind);
}

}  // namespace sso::controller
