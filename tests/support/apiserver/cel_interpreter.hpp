#pragma once

#include <string>

#include "apiserver/cel_ast.hpp"
#include "apiserver/cel_value.hpp"

namespace sso::apiserver::cel {

// Variables in scope: a chain, innermost first (a comprehension's variable shadows `self`).
struct Activation {
  std::string name;
  Value value;
  const Activation* parent = nullptr;

  const Value* lookup(const std::string& n) const {
    for (const Activation* a = this; a != nullptr; a = a->parent)
      if (a->name == n) return &a->value;
    return nullptr;
  }
};

// Evaluates a parsed expression. Failures (no such key, overflow, division by zero, no
// matching overload) come back as an error Value, which && and || absorb as CEL specifies.
Value evaluate(const Node& node, const Activation* vars);

// Whether `name` is a function the interpreter has: global (`size(x)`, `duration(s)`) or as
// a method (`s.startsWith(p)`), for the checker's "undeclared reference" at compile time.
bool is_function(const std::string& name, bool as_method);

// Schema property names that are not CEL identifiers are escaped (apiserver/pkg/cel
// escaping.go): "__dash__" for '-', "__dot__" for '.', "__slash__" for '/',
// "__underscores__" for "__", and "__in__" style for reserved words.
std::string unescape_field_name(const std::string& name);

}  // namespace sso::apiserver::cel
