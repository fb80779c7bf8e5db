#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apiserver/cel_validation.hpp"
#include "apiserver/field_errors.hpp"

namespace sso::apiserver {

// What one served version of a CRD asks of its objects: the structural schema
// (openAPIV3Schema) with its CEL rules compiled, and the printer columns for tables.
class CustomResourceSchema {
 public:
  // Compiles spec.versions[index] of a CRD; problems are reported at
  // spec.versions[index].schema.openAPIV3Schema... and make the result null.
  static std::shared_ptr<const CustomResourceSchema> create(const nlohmann::json& version, size_t index,
                                                            FieldErrors* errors);
  CustomResourceSchema(const CustomResourceSchema&) = delete;
  CustomResourceSchema& operator=(const CustomResourceSchema&) = delete;

  const nlohmann::json& schema() const { return schema_; }  // null: none given (preserve all)
  // additionalPrinterColumns, or the Age column kube-apiserver serves when there are none.
  const nlohmann::json& printer_columns() const { return columns_; }

  // Decoding a request body: drops unknown fields (returning their paths), then defaults.
  std::vector<std::string> prune(nlohmann::json& object) const;
  void apply_defaults(nlohmann::json& object) const;
  // Validation of a create (`old` null) or an update: the schema, then the CEL rules.
  FieldErrors validate(const nlohmann::json& object, const nlohmann::json* old) const;

 private:
  CustomResourceSchema() = default;
  nlohmann::json schema_;
  nlohmann::json columns_;
  ValidationRules rules_;
};

// The errors kube-apiserver gives for a CRD whose versions' schemas do not compile
// (x-kubernetes-validations rules that do not parse or type-check).
FieldErrors validate_crd_schemas(const nlohmann::json& crd);

}  // namespace sso::apiserver
