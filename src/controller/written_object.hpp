#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "kube/label_selector.hpp"
#include "kube/resource.hpp"

// Reading the objects the operator writes back, for the access map's layers.
namespace sso::controller::written {

inline std::string kind_of(const nlohmann::json& o) { return kube::string_field(o, "kind"); }

inline std::string group_of(const nlohmann::json& o) {
  const std::string api_version = kube::string_field(o, "apiVersion");
  const auto slash = api_version.find('/');
  return slash == std::string::npos ? "" : api_version.substr(0, slash);
}

inline std::string object_name(const nlohmann::json& o) { return kube::namespace_of(o) + "/" + kube::name_of(o); }

inline const nlohmann::json& spec_of(const nlohmann::json& o) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  return o.contains("spec") && o["spec"].is_object() ? o["spec"] : kEmpty;
}

// A metav1.LabelSelector in an object; a malformed one matches nothing (kube-apiserver would
// have refused it).
inline bool selects(const nlohmann::json& selector, const kube::Labels& labels) {
  auto parsed = kube::parse_label_selector(selector, "");
  return parsed.ok() && parsed->matches(labels);
}

}  // namespace sso::controller::written
