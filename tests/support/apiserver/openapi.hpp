#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apiserver/resource_types.hpp"

namespace sso::apiserver {

// OpenAPI v3 for the group-versions custom resources are served in, shaped as
// apiextensions-apiserver's pkg/controller/openapi/builder publishes them: each kind's
// openAPIV3Schema under its REST-friendly name (io.secureservice.v1alpha1.SecureService) with
// x-kubernetes-group-version-kind, metadata as a reference to ObjectMeta, apiVersion and kind
// from TypeMeta, a List kind, and paths whose operations name the kind. That is what
// `kubectl explain` reads (pkg/explain/v2 finds the kind through the paths), and a PATCH
// operation listing fieldValidation tells kubectl to leave validation to the server
// (cli-runtime's queryParamVerifierV3). Built-in group-versions are not published: kubectl
// then falls back to the empty v2 document, which skips client-side validation.

// The /openapi/v3 index: {"paths": {"apis/GROUP/VERSION": {"serverRelativeURL": "...?hash=H"}}},
// H changing whenever the document does, as kube-openapi's handler3 does (clients cache by it).
nlohmann::json openapi_v3_index(const std::vector<ResourceType>& types);

// The document for one group-version (/openapi/v3/apis/GROUP/VERSION); nullopt when no
// custom resource is served there.
std::optional<nlohmann::json> openapi_v3_document(const std::vector<ResourceType>& types, const std::string& group,
                                                  const std::string& version);

}  // namespace sso::apiserver
