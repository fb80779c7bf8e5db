#include "apiserver/custom_resource_schema.hpp"

#include "apiserver/schema_defaulting.hpp"
#include "apiserver/schema_pruning.hpp"
#include "apiserver/schema_validation.hpp"

namespace sso::apiserver {

using nlohmann::json;

std::shared_ptr<const CustomResourceSchema> CustomResourceSchema::create(const json& version, size_t index,
                                                                         FieldErrors* errors) {
  std::shared_ptr<CustomResourceSchema> out(new CustomResourceSchema());
  if (version.contains("schema") && version["schema"].is_object() && version["schema"].contains("openAPIV3Schema"))
    out->schema_ = version["schema"]["openAPIV3Schema"];
  out->columns_ = version.value("additionalPrinterColumns", json::array());
  if (!out->columns_.is_array() || out->columns_.empty())
    // apiextensions-apiserver serves an Age column for a version that declares none.
    out->columns_ = json::array({{{"name", "Age"}, {"type", "date"}, {"jsonPath", ".metadata.creationTimestamp"}}});
  const size_t before = errors->size();
  if (out->schema_.is_object())
    out->rules_ = ValidationRules::compile(
        out->schema_, "spec.versions[" + std::to_string(index) + "].schema.openAPIV3Schema", errors);
  if (errors->size() != before) return nullptr;
  return out;
}

std::vector<std::string> CustomResourceSchema::prune(json& object) const {
  if (!schema_.is_object()) return {};
  return prune_unknown_fields(object, schema_);
}

void CustomResourceSchema::apply_defaults(json& object) const {
  if (schema_.is_object()) sso::apiserver::apply_defaults(object, schema_);
}

FieldErrors CustomResourceSchema::validate(const json& object, const json* old) const {
  if (!schema_.is_object()) return {};
  FieldErrors errors = validate_against_schema(object, old, schema_);
  FieldErrors rule_errors = rules_.validate(object, old);
  errors.insert(errors.end(), rule_errors.begin(), rule_errors.end());
  return errors;
}

FieldErrors validate_crd_schemas(const json& crd) {
  FieldErrors errors;
  const json versions =
      crd.contains("spec") && crd["spec"].is_object() ? crd["spec"].value("versions", json::array()) : json::array();
  for (size_t i = 0; i < versions.size(); ++i)
    if (versions[i].is_object()) CustomResourceSchema::create(versions[i], i, &errors);
  return errors;
}

}  // namespace sso::apiserver
