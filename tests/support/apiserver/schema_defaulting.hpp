#pragma once

#include <nlohmann/json.hpp>

namespace sso::apiserver {

// Fills in `default:` values of a structural schema (apiextensions-apiserver
// pkg/apiserver/schema/defaulting): a property missing from an object that exists gets its
// default, and so does a null one unless the schema is nullable; a non-nullable null
// without a default is dropped (PruneNonNullableNullsWithoutDefaults). kube-apiserver does
// this when it decodes a request and when it reads an object back.
void apply_defaults(nlohmann::json& object, const nlohmann::json& schema);

}  // namespace sso::apiserver
