#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apiserver/cel_program.hpp"
#include "apiserver/field_errors.hpp"

namespace sso::apiserver {

// The x-kubernetes-validations rules of one structural schema, compiled once (when the CRD
// is written) and run on each write (apiextensions-apiserver pkg/apiserver/schema/cel).
class ValidationRules {
 public:
  // Compiles every rule of `schema`, which must outlive this object and stay where it is
  // (rules are found by the address of their schema node). Rules that do not compile are
  // reported at `schema_path` + the node's path, as kube-apiserver refuses such a CRD.
  static ValidationRules compile(const nlohmann::json& schema, const std::string& schema_path, FieldErrors* errors);

  bool empty() const { return rules_.empty(); }

  // Runs the rules on `object` (and, for transition rules, on `old`, null on create). A
  // rule that does not hold yields its message (or "failed rule: RULE") at the node's path
  // (or its fieldPath), with its reason (FieldValueInvalid by default).
  FieldErrors validate(const nlohmann::json& object, const nlohmann::json* old) const;

 private:
  struct Rule {
    cel::Program program;
    std::string message;
    std::optional<cel::Program> message_expression;
    std::string reason;
    std::string field_path;
  };
  void walk(const nlohmann::json& value, const nlohmann::json* old, const nlohmann::json& schema,
            const std::string& path, bool is_root, FieldErrors& errors) const;
  void run(const std::vector<Rule>& rules, const nlohmann::json& value, const nlohmann::json* old,
           const nlohmann::json& schema, const std::string& path, FieldErrors& errors) const;

  const nlohmann::json* root_ = nullptr;
  std::map<const nlohmann::json*, std::vector<Rule>> rules_;
};

}  // namespace sso::apiserver
