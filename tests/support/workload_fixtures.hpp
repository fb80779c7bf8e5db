#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace sso::testing {

// An apps/v1 Deployment, StatefulSet or DaemonSet NS/NAME whose pods carry `pod_labels`, as
// kube-apiserver's validation accepts it (selector = the pod labels, one container).
inline nlohmann::json workload(const std::string& kind, const std::string& ns, const std::string& name,
                               const nlohmann::json& pod_labels) {
  const nlohmann::json container = {{"name", "app"}, {"image", "registry.example/" + name + ":1"}};
  const nlohmann::json pod = {{"metadata", {{"labels", pod_labels}}},
                              {"spec", {{"containers", nlohmann::json::array({container})}}}};
  nlohmann::json spec = {{"selector", {{"matchLabels", pod_labels}}}, {"template", pod}};
  if (kind == "StatefulSet") spec["serviceName"] = name;
  return {{"apiVersion", "apps/v1"}, {"kind", kind}, {"metadata", {{"name", name}, {"namespace", ns}}}, {"spec", spec}};
}

// The pod template's secureservice.io/certificate-revision annotation, "" when absent.
inline std::string certificate_revision_of(const nlohmann::json& workload) {
  if (!workload.is_object()) return "";
  const auto annotations = workload.value("spec", nlohmann::json::object())
                               .value("template", nlohmann::json::object())
                               .value("metadata", nlohmann::json::object())
                               .value("annotations", nlohmann::json::object());
  return annotations.is_object() ? annotations.value("secureservice.io/certificate-revision", "") : "";
}

}  // namespace sso::testing
