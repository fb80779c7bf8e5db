#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sso::apiserver {

class CustomResourceSchema;

// One servable resource, as discovery describes it.
struct ResourceType {
  std::string group;                  // "" for core
  std::vector<std::string> versions;  // served versions, preferred (storage) first
  std::string resource;               // plural: "secrets"
  std::string singular;
  std::string kind;
  std::vector<std::string> short_names;
  bool namespaced = true;
  bool has_status = false;  // a status subresource
  bool from_crd = false;
  // Resources whose objects have no spec: every change counts toward metadata.generation
  // only for those with a spec (kube-apiserver bumps generation on spec changes only).
  bool has_spec = true;
  // The verbs discovery lists; empty: every verb of a stored resource. Reviews
  // (SelfSubjectAccessReview) are create-only and never stored.
  std::vector<std::string> verbs;
  // A CRD's schema and printer columns per served version (custom_resource_schema.hpp).
  std::map<std::string, std::shared_ptr<const CustomResourceSchema>> schemas;

  const CustomResourceSchema* schema_for(const std::string& version) const {
    auto it = schemas.find(version);
    return it == schemas.end() ? nullptr : it->second.get();
  }

  std::string group_version(const std::string& version) const {
    return group.empty() ? version : group + "/" + version;
  }
};

// The resources the server knows: the built-ins, plus those of each CRD while it exists.
class ResourceRegistry {
 public:
  ResourceRegistry();

  std::optional<ResourceType> find(const std::string& group, const std::string& version,
                                   const std::string& resource) const;
  std::optional<ResourceType> find_kind(const std::string& group, const std::string& kind) const;
  std::vector<ResourceType> all() const;

  // Registers (or updates) the resource a CRD defines; returns an error message when the
  // CRD cannot be served.
  std::optional<std::string> add_crd(const nlohmann::json& crd);
  void remove_crd(const std::string& group, const std::string& resource);

 private:
  mutable std::mutex mu_;
  std::vector<ResourceType> types_;
};

}  // namespace sso::apiserver
