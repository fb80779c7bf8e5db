#pragma once

#include <nlohmann/json.hpp>

#include "apiserver/field_errors.hpp"

namespace sso::apiserver {

// Validates an object against a structural schema as kube-apiserver validates custom
// resources (kube-openapi's validator, then x-kubernetes-list-type checks): type, nullable,
// enum, bounds, lengths, pattern, formats, item and property counts, required, duplicate
// set items and map keys. Every problem is reported, with kube-apiserver's wording. The
// root's apiVersion, kind and metadata are not the schema's business.
//
// `old` (null on create) turns on ratcheting (CRDValidationRatcheting, on by default since
// 1.30): a value left as it was is not validated again, so that tightening a schema does
// not lock out updates to the rest of an object.
FieldErrors validate_against_schema(const nlohmann::json& object, const nlohmann::json* old,
                                    const nlohmann::json& schema);

}  // namespace sso::apiserver
