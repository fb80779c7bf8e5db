#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apiserver/resource_types.hpp"
#include "apiserver/status_errors.hpp"

namespace sso::apiserver {

// One validation failure, as apimachinery's field.Error (pkg/util/validation/field/errors.go):
// a reason for the Status cause, the field path ("spec.tls.duration") and the error body
// ("Required value", "Invalid value: 3: must be ...").
struct FieldError {
  std::string reason;  // FieldValueRequired, FieldValueInvalid, ...
  std::string field;
  std::string message;  // the body, without the field
  std::string describe() const { return field.empty() ? message : field + ": " + message; }
};
using FieldErrors = std::vector<FieldError>;

// Go's formatting of a bad value in field.Error: strings quoted, numbers and booleans bare,
// null as "null", objects as Go prints a map[string]interface{}.
std::string format_bad_value(const nlohmann::json& value);

// The constructors of field/errors.go, with their wording.
FieldError field_required(const std::string& field, const std::string& detail = "");
FieldError field_invalid(const std::string& field, const nlohmann::json& value, const std::string& detail);
FieldError field_type_invalid(const std::string& field, const nlohmann::json& value, const std::string& detail);
FieldError field_not_supported(const std::string& field, const nlohmann::json& value,
                               const std::vector<std::string>& supported);
FieldError field_duplicate(const std::string& field, const nlohmann::json& value);
FieldError field_forbidden(const std::string& field, const std::string& detail);
FieldError field_too_long(const std::string& field, int64_t max_length);
FieldError field_too_many(const std::string& field, int64_t actual, int64_t max);

// "spec" + "tls" = "spec.tls"; index and key forms as field.Path prints them.
std::string child_path(const std::string& parent, const std::string& name);
std::string index_path(const std::string& parent, size_t index);
std::string key_path(const std::string& parent, const std::string& key);

// 422 Invalid with one cause per error, as errors.NewInvalid: the message names the kind
// ("Widget.example.com" for a group) and aggregates the errors ("[a, b]" when several).
ApiResponse invalid_object(const ResourceType& type, const std::string& name, const FieldErrors& errors);

}  // namespace sso::apiserver
