#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace sso::kube {

// One API resource, as discovery names it: enough to build its URL paths.
struct ResourceType {
  std::string group;    // "" for the core group
  std::string version;  // "v1"
  std::string plural;   // "configmaps"
  std::string kind;     // "ConfigMap"
  bool namespaced = true;

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  // "/api/v1" or "/apis/GROUP/VERSION"
  std::string group_path() const { return group.empty() ? "/api/" + version : "/apis/" + group + "/" + version; }
  // The collection path in `ns` ("" for all namespaces, or a cluster-scoped resource).
  std::string collection_path(const std::string& ns) const;
  std::string object_path(const std::string& ns, const std::string& name) const;
};

namespace resources {
ResourceType config_maps();
ResourceType secrets();
ResourceType namespaces();
ResourceType events();
ResourceType leases();
ResourceType service_accounts();
ResourceType pods();
ResourceType network_policies();
ResourceType validating_webhook_configurations();
}  // namespace resources

// The cache and queue key of an object: "namespace/name", or "name" for a cluster-scoped
// one (client-go's MetaNamespaceKeyFunc).
std::string object_key(const nlohmann::json& object);
std::string object_key(const std::string& ns, const std::string& name);
// Splits a key back into namespace ("" when cluster-scoped) and name.
std::pair<std::string, std::string> split_object_key(const std::string& key);

// object[key] when `object` is an object holding a string there, else "": for reading what
// a server sent without trusting its shape.
std::string string_field(const nlohmann::json& object, const char* key);

// Small readers of metadata that tolerate absent fields.
std::string name_of(const nlohmann::json& object);
std::string namespace_of(const nlohmann::json& object);
std::string resource_version_of(const nlohmann::json& object);
std::string uid_of(const nlohmann::json& object);
// metadata.annotations[key] when it is a string, else "".
std::string annotation_of(const nlohmann::json& object, const char* key);

}  // namespace sso::kube
