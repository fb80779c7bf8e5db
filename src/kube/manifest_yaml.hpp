#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"

namespace sso::kube {

// Reads a manifest file as kubectl does: YAML or JSON, several documents separated by
// `---`, empty documents skipped, `kind: List` expanded into its items. Every document must
// be an object with apiVersion and kind. `source` names the input in errors
// ("examples/shop.yaml: document 2: ...").
Result<std::vector<nlohmann::json>> read_manifests(std::string_view text, const std::string& source);

// Writes objects as a multi-document YAML stream (`---` between them), quoting strings that
// YAML would read back as another type ("true", "8443", "null").
std::string write_manifests(const std::vector<nlohmann::json>& objects);

}  // namespace sso::kube
