#include "cli/secret_manifest.hpp"

#include <yaml-cpp/yaml.h>

#include "base/base64.hpp"

namespace sso::cli {

std::string to_yaml(const SecretManifest& secret) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "v1";
  out << YAML::Key << "kind" << YAML::Value << "Secret";
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << secret.name;
  if (!secret.ns.empty()) out << YAML::Key << "namespace" << YAML::Value << secret.ns;
  if (!secret.labels.empty()) {
    out << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : secret.labels) out << YAML::Key << k << YAML::Value << v;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  out << YAML::Key << "type" << YAML::Value << secret.type;
  out << YAML::Key << "data" << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : secret.data) out << YAML::Key << k << YAML::Value << base64_encode(v);
  out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace sso::cli
