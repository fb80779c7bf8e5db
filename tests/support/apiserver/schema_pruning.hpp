#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sso::apiserver {

// Drops the fields a structural schema does not declare (apiextensions-apiserver
// pkg/apiserver/schema/pruning): everywhere except under x-kubernetes-preserve-unknown-fields,
// an additionalProperties schema, and the root's apiVersion, kind and metadata (and those of
// embedded resources). Returns the dropped paths ("spec.foo", "spec.ports[0].bar"), sorted,
// for fieldValidation's Warn and Strict.
std::vector<std::string> prune_unknown_fields(nlohmann::json& object, const nlohmann::json& schema);

}  // namespace sso::apiserver
