#include "apiserver/resource_types.hpp"

#include <algorithm>

#include "apiserver/custom_resource_schema.hpp"

namespace sso::apiserver {
namespace {

ResourceType builtin(std::string group, std::string version, std::string resource, std::string singular,
                     std::string kind, bool namespaced, std::vector<std::string> short_names = {},
                     bool has_status = false, bool has_spec = true) {
  ResourceType t;
  t.group = std::move(group);
  t.versions = {std::move(version)};
  t.resource = std::move(resource);
  t.singular = std::move(singular);
  t.kind = std::move(kind);
  t.namespaced = namespaced;
  t.short_names = std::move(short_names);
  t.has_status = has_status;
  t.has_spec = has_spec;
  return t;
}

}  // namespace

ResourceRegistry::ResourceRegistry() {
  types_ = {
      builtin("", "v1", "namespaces", "namespace", "Namespace", false, {"ns"}, true),
      builtin("", "v1", "pods", "pod", "Pod", true, {"po"}, true),
      builtin("", "v1", "secrets", "secret", "Secret", true, {}, false, false),
      builtin("", "v1", "configmaps", "configmap", "ConfigMap", true, {"cm"}, false, false),
      builtin("", "v1", "services", "service", "Service", true, {"svc"}, true),
      builtin("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, {"sa"}, false, false),
      builtin("", "v1", "events", "event", "Event", true, {"ev"}, false, false),
      builtin("apps", "v1", "deployments", "deployment", "Deployment", true, {"deploy"}, true),
      builtin("apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, {"sts"}, true),
      builtin("apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, {"ds"}, true),
      builtin("networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", true, {"netpol"}),
      builtin("coordination.k8s.io", "v1", "leases", "lease", "Lease", true),
      builtin("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, {"pdb"},
              true),
      builtin("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, {}, false, false),
      builtin("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, {}, false, false),
      builtin("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, {}, false, false),
      builtin("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding",
              false, {}, false, false),
      builtin("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "validatingwebhookconfiguration",
              "ValidatingWebhookConfiguration", false, {}, false, false),
      builtin("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "mutatingwebhookconfiguration",
              "MutatingWebhookConfiguration", false, {}, false, false),
      builtin("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
              "CustomResourceDefinition", false, {"crd", "crds"}, true),
      builtin("events.k8s.io", "v1", "events", "event", "Event", true, {"ev"}, false, false),
      builtin("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "selfsubjectaccessreview",
              "SelfSubjectAccessReview", false),
      builtin("authorization.k8s.io", "v1", "subjectaccessreviews", "subjectaccessreview", "SubjectAccessReview",
              false),
      builtin("authentication.k8s.io", "v1", "tokenreviews", "tokenreview", "TokenReview", false),
  };
  // Reviews are created and answered, never stored.
  for (auto& t : types_)
    if (t.resource.size() > 7 && t.resource.compare(t.resource.size() - 7, 7, "reviews") == 0) t.verbs = {"create"};
}

std::optional<ResourceType> ResourceRegistry::find(const std::string& group, const std::string& version,
                                                   const std::string& resource) const {
  std::lock_guard lock(mu_);
  for (const auto& t : types_) {
    if (t.group == group && t.resource == resource &&
        std::find(t.versions.begin(), t.versions.end(), version) != t.versions.end())
      return t;
  }
  return std::nullopt;
}

std::optional<ResourceType> ResourceRegistry::find_kind(const std::string& group, const std::string& kind) const {
  std::lock_guard lock(mu_);
  for (const auto& t : types_)
    if (t.group == group && t.kind == kind) return t;
  return std::nullopt;
}

std::vector<ResourceType> ResourceRegistry::all() const {
  std::lock_guard lock(mu_);
  return types_;
}

std::optional<std::string> ResourceRegistry::add_crd(const nlohmann::json& crd) {
  const auto& spec = crd.value("spec", nlohmann::json::object());
  ResourceType t;
  t.from_crd = true;
  t.group = spec.value("group", "");
  const auto names = spec.value("names", nlohmann::json::object());
  t.resource = names.value("plural", "");
  t.singular = names.value("singular", "");
  t.kind = names.value("kind", "");
  if (names.contains("shortNames") && names["shortNames"].is_array())
    for (const auto& s : names["shortNames"]) t.short_names.push_back(s.get<std::string>());
  t.namespaced = spec.value("scope", "Namespaced") == "Namespaced";
  if (t.group.empty() || t.resource.empty() || t.kind.empty())
    return "spec.group, spec.names.plural and spec.names.kind are required";
  if (t.singular.empty()) {
    t.singular = t.kind;
    std::transform(t.singular.begin(), t.singular.end(), t.singular.begin(), ::tolower);
  }
  std::string storage;
  const auto versions = spec.value("versions", nlohmann::json::array());
  for (size_t i = 0; i < versions.size(); ++i) {
    const auto& v = versions[i];
    if (!v.value("served", false)) continue;
    const std::string name = v.value("name", "");
    FieldErrors schema_errors;
    if (auto schema = CustomResourceSchema::create(v, i, &schema_errors)) t.schemas[name] = std::move(schema);
    if (v.value("storage", false)) {
      storage = name;
      t.versions.insert(t.versions.begin(), name);
    } else {
      t.versions.push_back(name);
    }
    if (v.contains("subresources") && v["subresources"].contains("status")) t.has_status = true;
  }
  if (t.versions.empty()) return "no served version";
  std::lock_guard lock(mu_);
  types_.erase(std::remove_if(types_.begin(), types_.end(),
                              [&](const ResourceType& x) { return x.group == t.group && x.resource == t.resource; }),
               types_.end());
  types_.push_back(std::move(t));
  return std::nullopt;
}

void ResourceRegistry::remove_crd(const std::string& group, const std::string& resource) {
  std::lock_guard lock(mu_);
  types_.erase(
      std::remove_if(types_.begin(), types_.end(),
                     [&](const ResourceType& x) { return x.from_crd && x.group == group && x.resource == resource; }),
      types_.end());
}

}  // namespace sso::apiserver
