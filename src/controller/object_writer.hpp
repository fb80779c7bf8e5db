#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"
#include "kube/resource.hpp"
#include "kube/rest_client.hpp"

namespace sso::controller {

enum class WriteOutcome { kUnchanged, kCreated, kUpdated };

// Whether `existing` lacks anything `desired` says: every field of desired outside metadata
// must be equal; of metadata, the labels and annotations desired names (others may be added
// by anyone) and the ownerReferences. Fields the server adds (status, defaults) are not
// compared, as controller-runtime's CreateOrUpdate compares only what the mutate step sets.
bool differs(const nlohmann::json& existing, const nlohmann::json& desired);

// Creates `desired` when `existing` is null, updates it (with existing's resourceVersion, so
// that a concurrent write fails with a Conflict and is redone) when it differs, else does
// nothing: a write is one more watch event for everyone.
Result<WriteOutcome> write_if_differs(kube::RestClient& client, const kube::ResourceType& type,
                                      const nlohmann::json& existing, const nlohmann::json& desired);

// The kinds the mesh providers use, in the order they are written: what an AuthorizationPolicy
// relies on (a RequestAuthentication, a MeshTLSAuthentication, an HTTPRoute) comes before it.
const std::vector<kube::ResourceType>& mesh_types();

// The resource type of an object the controller writes (core, networking, Istio, Linkerd),
// from its apiVersion and kind.
Result<kube::ResourceType> resource_type_of(const nlohmann::json& object);

}  // namespace sso::controller
