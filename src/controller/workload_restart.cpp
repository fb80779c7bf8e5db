#include "controller/workload_restart.hpp"

#include "kube/api_error.hpp"

namespace sso::controller {

using nlohmann::json;

const std::vector<kube::ResourceType>& restartable_workload_types() {
  static const std::vector<kube::ResourceType> kTypes = {
      {"apps", "v1", "deployments", "Deployment", true},
      {"apps", "v1", "statefulsets", "StatefulSet", true},
      {"apps", "v1", "daemonsets", "DaemonSet", true},
  };
  return kTypes;
}

std::optional<json> restart_patch(const json& workload, const kube::LabelSelector& selector, int64_t revision) {
  const json* template_metadata = nullptr;
  if (workload.is_object() && workload.contains("spec") && workload["spec"].is_object() &&
      workload["spec"].contains("template") && workload["spec"]["template"].is_object() &&
      workload["spec"]["template"].contains("metadata"))
    template_metadata = &workload["spec"]["template"]["metadata"];
  if (!template_metadata || !selector.matches(kube::labels_of(json{{"metadata", *template_metadata}})))
    return std::nullopt;
  const std::string value = std::to_string(revision);
  if (template_metadata->is_object() && template_metadata->contains("annotations") &&
      (*template_metadata)["annotations"].is_object() &&
      (*template_metadata)["annotations"].value(kCertificateRevisionAnnotation, json()) == value)
    return std::nullopt;
  return json{{"spec", {{"template", {{"metadata", {{"annotations", {{kCertificateRevisionAnnotation, value}}}}}}}}}};
}

bool restart_due(std::optional<int64_t> restarted_for, int64_t revision) {
  return restarted_for && *restarted_for != revision;
}

WorkloadRestarts restart_selected_workloads(kube::RestClient& client, const std::string& ns,
                                            const kube::LabelSelector& selector, int64_t revision) {
  WorkloadRestarts out;
  for (const auto& type : restartable_workload_types()) {
    auto listed = client.list_all(type, ns, kube::ListOptions{.limit = 500});
    if (!listed.ok()) {
      out.error = std::move(listed).error().add_context("list the " + type.plural + " of " + ns);
      return out;
    }
    for (const auto& workload : listed->items) {
      const auto patch = restart_patch(workload, selector, revision);
      if (!patch) continue;
      const std::string name = type.kind + "/" + kube::name_of(workload);
      auto patched = client.merge_patch(type, ns, kube::name_of(workload), *patch);
      // Deleted since the list: nothing left to restart.
      if (!patched.ok() && !kube::is_not_found(patched.error())) {
        out.error = std::move(patched).error().add_context("restart " + name);
        return out;
      }
      if (patched.ok()) out.restarted.push_back(name);
    }
  }
  return out;
}

}  // namespace sso::controller
