#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "apiserver/resource_types.hpp"

namespace sso::apiserver {

// Server-side printing (`kubectl get`): a meta.k8s.io Table instead of the object or list,
// when the Accept header asks for one (kubectl sends
// "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json").
struct TableRequest {
  std::string api_version;     // "meta.k8s.io/v1" or "meta.k8s.io/v1beta1"
  std::string include_object;  // Object, Metadata (the default) or None
};

// The Table the Accept header asks for, if any.
std::optional<TableRequest> wants_table(const std::string& accept, const std::string& include_object);
// Whether includeObject is one kube-apiserver knows ("", Object, Metadata, None).
bool valid_include_object(const std::string& include_object);

// A Table of one object or of a list's items. Custom resources get NAME, their version's
// additionalPrinterColumns (type date shown as an age, as apiextensions-apiserver's
// tableconvertor does; default an Age column); built-in kinds get the columns kubectl users
// know for a few (namespaces, configmaps, secrets, serviceaccounts) and NAME, AGE otherwise.
// `with_columns` false leaves columnDefinitions out (watch events after the first).
nlohmann::json to_table(const ResourceType& type, const std::string& version, const nlohmann::json& object_or_list,
                        const TableRequest& request, std::chrono::system_clock::time_point now,
                        bool with_columns = true);

// apimachinery's duration.HumanDuration: "45s", "3m20s", "5h", "3d4h", "2y".
std::string human_duration(std::chrono::seconds d);

}  // namespace sso::apiserver
