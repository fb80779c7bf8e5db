#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace sso::cli {

struct SecretManifest {
  std::string name;
  std::string ns;
  std::string type = "kubernetes.io/tls";
  std::map<std::string, std::string> labels;
  std::vector<std::pair<std::string, std::string>> data;  // key, raw bytes (base64-encoded on output)
};

// YAML for `kubectl apply -f -`.
std::string to_yaml(const SecretManifest& secret);

}  // namespace sso::cli
