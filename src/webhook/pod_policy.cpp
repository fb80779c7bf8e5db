#include "webhook/pod_policy.hpp"

#include <algorithm>
#include <set>

namespace sso::webhook {
namespace {

using nlohmann::json;

// ---- parse_pod -------------------------------------------------------------------------------

enum class Type { kString, kBool, kObject, kArray };

bool has_type(const json& value, Type type) {
  switch (type) {
    case Type::kString: return value.is_string();
    case Type::kBool: return value.is_boolean();
    case Type::kObject: return value.is_object();
    case Type::kArray: return value.is_array();
  }
  return false;
}

std::string_view type_name(Type type) {
  switch (type) {
    case Type::kString: return "a string";
    case Type::kBool: return "a boolean";
    case Type::kObject: return "an object";
    case Type::kArray: return "a list";
  }
  return "";
}

// The member `key` of the object `parent`: nullptr when absent or null (Go writes a nil slice or
// map as null), an error naming `path` when it has another type than `type`.
Result<const json*> member(const json& parent, const char* key, Type type, const std::string& path) {
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return static_cast<const json*>(nullptr);
  if (!has_type(*it, type)) return invalid_argument(path + ": must be " + std::string(type_name(type)));
  return &*it;
}

Status read_string(const json& parent, const char* key, const std::string& path, std::string* out) {
  SSO_ASSIGN_OR_RETURN(const json* value, member(parent, key, Type::kString, path));
  if (value) *out = value->get<std::string>();
  return {};
}

Status read_bool(const json& parent, const char* key, const std::string& path, bool* out) {
  SSO_ASSIGN_OR_RETURN(const json* value, member(parent, key, Type::kBool, path));
  if (value) *out = value->get<bool>();
  return {};
}

// The items of the list `key` of `parent`, each of which must be an object.
Result<std::vector<const json*>> object_list(const json& parent, const char* key, const std::string& path) {
  SSO_ASSIGN_OR_RETURN(const json* list, member(parent, key, Type::kArray, path));
  std::vector<const json*> items;
  if (!list) return items;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    if (!item.is_object()) return invalid_argument(path + "[" + std::to_string(i) + "]: must be an object");
    items.push_back(&item);
  }
  return items;
}

Status read_metadata(const json& object, Pod& pod) {
  SSO_ASSIGN_OR_RETURN(const json* meta, member(object, "metadata", Type::kObject, "metadata"));
  if (!meta) return {};
  SSO_RETURN_IF_ERROR(read_string(*meta, "name", "metadata.name", &pod.name));
  SSO_RETURN_IF_ERROR(read_string(*meta, "generateName", "metadata.generateName", &pod.generate_name));
  SSO_RETURN_IF_ERROR(read_string(*meta, "namespace", "metadata.namespace", &pod.ns));
  SSO_ASSIGN_OR_RETURN(const json* labels, member(*meta, "labels", Type::kObject, "metadata.labels"));
  if (!labels) return {};
  for (const auto& [key, value] : labels->items()) {
    if (!value.is_string()) return invalid_argument("metadata.labels[" + key + "]: must be a string");
    pod.labels[key] = value.get<std::string>();
  }
  return {};
}

Status read_volume(const json& item, const std::string& path, Volume& volume) {
  SSO_RETURN_IF_ERROR(read_string(item, "name", path + ".name", &volume.name));
  SSO_ASSIGN_OR_RETURN(const json* secret, member(item, "secret", Type::kObject, path + ".secret"));
  if (secret) {
    std::string name;
    SSO_RETURN_IF_ERROR(read_string(*secret, "secretName", path + ".secret.secretName", &name));
    if (!name.empty()) volume.secret_names.push_back(name);
  }
  SSO_ASSIGN_OR_RETURN(const json* projected, member(item, "projected", Type::kObject, path + ".projected"));
  if (!projected) return {};
  SSO_ASSIGN_OR_RETURN(auto sources, object_list(*projected, "sources", path + ".projected.sources"));
  for (size_t i = 0; i < sources.size(); ++i) {
    const std::string source_path = path + ".projected.sources[" + std::to_string(i) + "].secret";
    SSO_ASSIGN_OR_RETURN(const json* source, member(*sources[i], "secret", Type::kObject, source_path));
    if (!source) continue;
    std::string name;
    SSO_RETURN_IF_ERROR(read_string(*source, "name", source_path + ".name", &name));
    if (!name.empty()) volume.secret_names.push_back(name);
  }
  return {};
}

Status read_mount(const json& item, const std::string& path, VolumeMount& mount) {
  SSO_RETURN_IF_ERROR(read_string(item, "name", path + ".name", &mount.name));
  SSO_RETURN_IF_ERROR(read_string(item, "mountPath", path + ".mountPath", &mount.mount_path));
  SSO_RETURN_IF_ERROR(read_bool(item, "readOnly", path + ".readOnly", &mount.read_only));
  SSO_RETURN_IF_ERROR(read_string(item, "subPath", path + ".subPath", &mount.sub_path));
  SSO_RETURN_IF_ERROR(read_string(item, "subPathExpr", path + ".subPathExpr", &mount.sub_path_expr));
  return {};
}

Status read_containers(const json& spec, const char* key, ContainerKind kind, Pod& pod) {
  const std::string path = std::string("spec.") + key;
  SSO_ASSIGN_OR_RETURN(auto items, object_list(spec, key, path));
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string item_path = path + "[" + std::to_string(i) + "]";
    Container container;
    container.kind = kind;
    SSO_RETURN_IF_ERROR(read_string(*items[i], "name", item_path + ".name", &container.name));
    std::string restart_policy;
    SSO_RETURN_IF_ERROR(read_string(*items[i], "restartPolicy", item_path + ".restartPolicy", &restart_policy));
    container.restart_always = kind == ContainerKind::kInit && restart_policy == "Always";
    SSO_ASSIGN_OR_RETURN(auto mounts, object_list(*items[i], "volumeMounts", item_path + ".volumeMounts"));
    for (size_t j = 0; j < mounts.size(); ++j) {
      VolumeMount mount;
      SSO_RETURN_IF_ERROR(read_mount(*mounts[j], item_path + ".volumeMounts[" + std::to_string(j) + "]", mount));
      container.mounts.push_back(std::move(mount));
    }
    pod.containers.push_back(std::move(container));
  }
  return {};
}

Status read_spec(const json& object, Pod& pod) {
  SSO_ASSIGN_OR_RETURN(const json* spec, member(object, "spec", Type::kObject, "spec"));
  if (!spec) return {};
  SSO_RETURN_IF_ERROR(read_string(*spec, "serviceAccountName", "spec.serviceAccountName", &pod.service_account_name));
  if (pod.service_account_name.empty()) {
    // The deprecated alias: kube-apiserver's v1 conversion copies it into serviceAccountName.
    SSO_RETURN_IF_ERROR(read_string(*spec, "serviceAccount", "spec.serviceAccount", &pod.service_account_name));
  }
  SSO_ASSIGN_OR_RETURN(auto volumes, object_list(*spec, "volumes", "spec.volumes"));
  for (size_t i = 0; i < volumes.size(); ++i) {
    Volume volume;
    SSO_RETURN_IF_ERROR(read_volume(*volumes[i], "spec.volumes[" + std::to_string(i) + "]", volume));
    pod.volumes.push_back(std::move(volume));
  }
  SSO_RETURN_IF_ERROR(read_containers(*spec, "containers", ContainerKind::kRegular, pod));
  SSO_RETURN_IF_ERROR(read_containers(*spec, "initContainers", ContainerKind::kInit, pod));
  SSO_RETURN_IF_ERROR(read_containers(*spec, "ephemeralContainers", ContainerKind::kEphemeral, pod));
  return {};
}

// ---- check_pod_identity ----------------------------------------------------------------------

// A mount path as the kubelet resolves it: "/etc/tls/" and "/etc/tls" are one directory.
std::string_view normalized_path(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

bool is_volume_name_taken(const Pod& pod, const std::string& name) {
  return std::any_of(pod.volumes.begin(), pod.volumes.end(), [&](const Volume& v) { return v.name == name; });
}

// A volume name (a DNS label) for the Secret that no volume of the pod has yet.
std::string free_volume_name(const Pod& pod, const std::string& secret_name) {
  std::string base = secret_name;
  std::replace(base.begin(), base.end(), '.', '-');
  if (base.size() > 60) base.resize(60);
  while (!base.empty() && base.back() == '-') base.pop_back();
  if (base.empty()) base = "identity";
  if (!is_volume_name_taken(pod, base)) return base;
  for (int i = 2;; ++i) {
    std::string candidate = base + "-" + std::to_string(i);
    if (!is_volume_name_taken(pod, candidate)) return candidate;
  }
}

// The pod's volumes that show the SecureService's Secret, and the name the fixes use for it.
struct IdentityVolume {
  std::set<std::string> names;
  std::string fix_name;  // the first such volume, or a free name for the one to add
};

IdentityVolume identity_volume(const Pod& pod, const api::SecureService& service) {
  IdentityVolume out;
  for (const auto& volume : pod.volumes) {
    const auto& secrets = volume.secret_names;
    if (std::find(secrets.begin(), secrets.end(), service.tls.secret_name) == secrets.end()) continue;
    if (out.names.empty()) out.fix_name = volume.name;
    out.names.insert(volume.name);
  }
  if (out.names.empty()) out.fix_name = free_volume_name(pod, service.tls.secret_name);
  return out;
}

std::string describe(const Container& container) {
  switch (container.kind) {
    case ContainerKind::kRegular: return "container \"" + container.name + "\"";
    case ContainerKind::kInit:
      return (container.restart_always ? "sidecar init container \"" : "init container \"") + container.name + "\"";
    case ContainerKind::kEphemeral: return "ephemeral container \"" + container.name + "\"";
  }
  return container.name;
}

std::string mount_yaml(const std::string& volume, const api::SecureService& service) {
  return "{name: " + volume + ", mountPath: " + service.tls.mount_path + ", readOnly: true}";
}

// The proxy a mesh injects as a regular container (before native sidecars) carries the mesh's
// own identity, not the SecureService's Secret; requiring the mount of it would refuse every
// injected pod, since validating webhooks run after the mutating injector.
bool is_mesh_proxy(const Container& container, const api::SecureService& service) {
  return (service.mesh == api::MeshProvider::kIstio && container.name == "istio-proxy") ||
         (service.mesh == api::MeshProvider::kLinkerd && container.name == "linkerd-proxy");
}

// Must the container mount the identity? Every container of spec.containers serves as the
// workload, so each must. Init containers run before the workload serves, and ephemeral
// containers are debug shells added later through pods/ephemeralcontainers, so neither must.
// A native sidecar (an init container with restartPolicy: Always) is treated as an init
// container: sidecars are typically injected (proxies, log shippers) by webhooks that do not
// know the SecureService, and they are not the service's server. Whoever mounts it, though,
// must mount it read-only (check_read_only).
bool must_mount(const Container& container, const api::SecureService& service) {
  return container.kind == ContainerKind::kRegular && !is_mesh_proxy(container, service);
}

std::optional<PodViolation> check_volume(const IdentityVolume& volume, const api::SecureService& service) {
  if (!volume.names.empty()) return std::nullopt;
  return PodViolation{
      std::string(kReasonMissingVolume),
      "add to spec.volumes: {name: " + volume.fix_name + ", secret: {secretName: " + service.tls.secret_name + "}}"};
}

// The whole volume at tls.mountPath. A subPath mounts one file or directory of the Secret (part
// of the identity), and the kubelet does not update subPath mounts when the Secret is renewed.
std::optional<PodViolation> check_mounted(const Container& container, const IdentityVolume& volume,
                                          const api::SecureService& service) {
  if (!must_mount(container, service)) return std::nullopt;
  const std::string_view want = normalized_path(service.tls.mount_path);
  const VolumeMount* elsewhere = nullptr;
  const VolumeMount* partial = nullptr;
  for (const auto& mount : container.mounts) {
    if (!volume.names.contains(mount.name)) continue;
    if (!mount.mounts_whole_volume()) {
      if (!partial) partial = &mount;
    } else if (normalized_path(mount.mount_path) == want) {
      return std::nullopt;
    } else if (!elsewhere) {
      elsewhere = &mount;
    }
  }
  const std::string who = describe(container);
  if (elsewhere)
    return PodViolation{std::string(kReasonWrongMountPath),
                        who + ": volumeMount \"" + elsewhere->name + "\" is at " + elsewhere->mount_path + ", wanted " +
                            service.tls.mount_path + ": set its mountPath: " + service.tls.mount_path};
  if (partial) {
    const std::string& sub = partial->sub_path.empty() ? partial->sub_path_expr : partial->sub_path;
    const char* field = partial->sub_path.empty() ? "subPathExpr" : "subPath";
    return PodViolation{
        std::string(kReasonMissingMount),
        who + ": volumeMount \"" + partial->name + "\" uses " + field + " \"" + sub +
            "\" (part of the identity, not renewed): mount the whole volume: " + mount_yaml(volume.fix_name, service)};
  }
  return PodViolation{std::string(kReasonMissingMount),
                      who + ": add to volumeMounts: " + mount_yaml(volume.fix_name, service)};
}

// Whoever mounts the identity, in whatever container, mounts it read-only: a writable mount
// lets a process replace the key the operator wrote.
std::vector<PodViolation> check_read_only(const Container& container, const IdentityVolume& volume) {
  std::vector<PodViolation> out;
  for (const auto& mount : container.mounts) {
    if (!volume.names.contains(mount.name) || mount.read_only) continue;
    out.push_back({std::string(kReasonWritableMount), describe(container) + ": volumeMount \"" + mount.name + "\" at " +
                                                          mount.mount_path + " is writable: add readOnly: true"});
  }
  return out;
}

std::optional<PodViolation> check_service_account(const Pod& pod, const api::SecureService& service) {
  const std::string& want = service.service_account_name;
  if (want.empty() || pod.effective_service_account() == want) return std::nullopt;
  const std::string found = pod.service_account_name.empty()
                                ? "the pod runs as ServiceAccount \"default\" (no spec.serviceAccountName)"
                                : "the pod runs as ServiceAccount \"" + pod.service_account_name + "\"";
  return PodViolation{std::string(kReasonWrongServiceAccount),
                      found + ", wanted \"" + want + "\": set spec.serviceAccountName: " + want};
}

// ---- decide_pod ------------------------------------------------------------------------------

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

std::string labels_yaml(const kube::Labels& labels) {
  std::vector<std::string> parts;
  parts.reserve(labels.size());
  for (const auto& [key, value] : labels) parts.push_back(std::string(key).append(": ").append(value));
  return "{" + join(parts, ", ") + "}";
}

std::string denial(const Pod& pod, const api::SecureService& service, const std::vector<PodViolation>& violations) {
  std::vector<std::string> texts;
  texts.reserve(violations.size());
  for (const auto& v : violations) texts.push_back(v.text);
  return "SecureService " + service.name + " selects pod " + pod.display_name() +
         ", which does not carry its identity: " + join(texts, "; ");
}

std::string unidentified(const Pod& pod) {
  const std::string labels = pod.labels.empty() ? "no labels" : "labels " + labels_yaml(pod.labels);
  return "namespace " + pod.ns +
         " is labelled secureservice.io/enforcement: strict and no SecureService in it selects pod " +
         pod.display_name() + " (" + labels +
         "): create a SecureService whose spec.selector matches these labels, or label the pod for an "
         "existing one";
}

}  // namespace

std::string Pod::display_name() const {
  if (!name.empty()) return name;
  return generate_name + "<generated>";
}

std::string Pod::effective_service_account() const {
  return service_account_name.empty() ? "default" : service_account_name;
}

NamespacePolicy namespace_policy(const kube::Labels& labels) {
  auto it = labels.find(kEnforcementLabel);
  return NamespacePolicy{.strict = it != labels.end() && it->second == "strict"};
}

Result<Pod> parse_pod(const json& object) {
  if (!object.is_object()) return invalid_argument("pod: must be an object");
  Pod pod;
  SSO_RETURN_IF_ERROR(read_metadata(object, pod));
  SSO_RETURN_IF_ERROR(read_spec(object, pod));
  return pod;
}

std::vector<PodViolation> check_pod_identity(const Pod& pod, const api::SecureService& service) {
  const IdentityVolume volume = identity_volume(pod, service);
  std::vector<PodViolation> out;
  if (auto v = check_volume(volume, service)) out.push_back(std::move(*v));
  for (const auto& container : pod.containers) {
    if (auto v = check_mounted(container, volume, service)) out.push_back(std::move(*v));
    auto writable = check_read_only(container, volume);
    out.insert(out.end(), writable.begin(), writable.end());
  }
  if (auto v = check_service_account(pod, service)) out.push_back(std::move(*v));
  return out;
}

Verdict decide_pod(const Pod& pod, const std::vector<const api::SecureService*>& services_in_namespace,
                   const NamespacePolicy& ns) {
  std::vector<const api::SecureService*> selecting;
  for (const auto* service : services_in_namespace)
    if (service && service->selector.matches(pod.labels)) selecting.push_back(service);
  // One answer whatever order the cache lists them in.
  std::sort(selecting.begin(), selecting.end(),
            [](const api::SecureService* a, const api::SecureService* b) { return a->name < b->name; });
  const bool any_active = std::any_of(selecting.begin(), selecting.end(), [](const api::SecureService* s) {
    return s->admission_mode != api::AdmissionMode::kDisabled;
  });

  Verdict verdict;
  if (!any_active) {
    // Selected only by SecureServices whose owners turned admission off: the pod belongs to one,
    // so a strict namespace has nothing to refuse either.
    if (!selecting.empty()) {
      verdict.reason = kReasonAdmissionDisabled;
    } else if (ns.strict) {
      verdict.allowed = false;
      verdict.reason = kReasonUnidentified;
      verdict.message = unidentified(pod);
    } else {
      verdict.reason = kReasonNotSelected;
    }
    return verdict;
  }

  std::vector<std::string> denials;
  for (const auto* service : selecting) {
    if (service->admission_mode == api::AdmissionMode::kDisabled) continue;
    const std::vector<PodViolation> violations = check_pod_identity(pod, *service);
    if (violations.empty()) continue;
    if (service->admission_mode == api::AdmissionMode::kEnforce) {
      if (denials.empty()) verdict.reason = violations.front().reason;
      denials.push_back(denial(pod, *service, violations));
      continue;
    }
    for (const auto& v : violations)
      verdict.warnings.push_back("SecureService " + service->name + " (Audit): " + v.text);
  }
  if (!denials.empty()) {
    verdict.allowed = false;
    verdict.message = join(denials, ". ");
  } else {
    verdict.reason = verdict.warnings.empty() ? kReasonCompliant : kReasonAudited;
  }
  return verdict;
}

}  // namespace sso::webhook
