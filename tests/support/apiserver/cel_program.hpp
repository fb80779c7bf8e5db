#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "apiserver/cel_ast.hpp"
#include "apiserver/cel_value.hpp"

namespace sso::apiserver::cel {

// A compiled validation rule: the parsed expression, checked against the schema of the node
// it sits on (undeclared variables and functions, fields the schema does not declare), as
// kube-apiserver compiles x-kubernetes-validations when a CRD is written.
struct Program {
  std::string expression;
  NodePtr root;
  bool uses_old_self = false;  // a transition rule: evaluated only when an old value exists
};

// nullopt with `error` set in cel-go's form ("ERROR: <input>:1:6: undefined field 'foo'"
// followed by the source line and a caret) when it does not compile. `self_schema` is the
// schema of the node the rule is on; null for an untyped (dyn) self.
std::optional<Program> compile(const std::string& expression, const nlohmann::json* self_schema, std::string* error);

// A JSON value as CEL sees it under `schema` (may be null): integers of a `number` schema
// become doubles, strings of format date-time and duration become timestamps and durations.
Value to_cel_value(const nlohmann::json& value, const nlohmann::json* schema);

}  // namespace sso::apiserver::cel
