#include "kube/resource.hpp"

namespace sso::kube {

std::string ResourceType::collection_path(const std::string& ns) const {
  if (namespaced && !ns.empty()) return group_path() + "/namespaces/" + ns + "/" + plural;
  return group_path() + "/" + plural;
}

std::string ResourceType::object_path(const std::string& ns, const std::string& name) const {
  return collection_path(ns) + "/" + name;
}

namespace resources {
ResourceType config_maps() { return {"", "v1", "configmaps", "ConfigMap", true}; }
ResourceType secrets() { return {"", "v1", "secrets", "Secret", true}; }
ResourceType namespaces() { return {"", "v1", "namespaces", "Namespace", false}; }
ResourceType events() { return {"", "v1", "events", "Event", true}; }
ResourceType leases() { return {"coordination.k8s.io", "v1", "leases", "Lease", true}; }
ResourceType service_accounts() { return {"", "v1", "serviceaccounts", "ServiceAccount", true}; }
ResourceType pods() { return {"", "v1", "pods", "Pod", true}; }
ResourceType network_policies() { return {"networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true}; }
ResourceType validating_webhook_configurations() {
  return {"admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration",
          false};
}
}  // namespace resources

std::string string_field(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

namespace {
std::string metadata_string(const nlohmann::json& object, const char* field) {
  if (!object.is_object()) return "";
  auto meta = object.find("metadata");
  return meta == object.end() ? "" : string_field(*meta, field);
}
}  // namespace

std::string name_of(const nlohmann::json& object) { return metadata_string(object, "name"); }
std::string namespace_of(const nlohmann::json& object) { return metadata_string(object, "namespace"); }
std::string resource_version_of(const nlohmann::json& object) { return metadata_string(object, "resourceVersion"); }
std::string uid_of(const nlohmann::json& object) { return metadata_string(object, "uid"); }

std::string annotation_of(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return "";
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  auto annotations = meta->find("annotations");
  return annotations == meta->end() ? "" : string_field(*annotations, key);
}

std::string object_key(const std::string& ns, const std::string& name) { return ns.empty() ? name : ns + "/" + name; }
std::string object_key(const nlohmann::json& object) { return object_key(namespace_of(object), name_of(object)); }

std::pair<std::string, std::string> split_object_key(const std::string& key) {
  const auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

}  // namespace sso::kube
