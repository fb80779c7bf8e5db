#pragma once

#include <memory>
#include <string>
#include <vector>

#include "apiserver/cel_value.hpp"

namespace sso::apiserver::cel {

struct Node;
using NodePtr = std::shared_ptr<const Node>;

// A parsed CEL expression. Operators are calls of their cel-go names ("_+_", "_<_", "!_",
// "-_", "_[_]", "@in"); the macros (has, all, exists, exists_one, map, filter) are nodes of
// their own, as cel-go expands them into comprehensions.
struct Node {
  enum class Kind {
    Literal,       // value
    Ident,         // name
    Select,        // operand.name
    Call,          // [target.]name(args)
    List,          // [args]
    Map,           // {args[0]: args[1], ...}
    And,           // args[0] && args[1]
    Or,            // args[0] || args[1]
    Conditional,   // args[0] ? args[1] : args[2]
    Has,           // has(operand.name)
    Comprehension  // operand.name(var[, var2], args...): all, exists, exists_one, map, filter
  };
  Kind kind = Kind::Literal;
  Value value;
  std::string name;
  NodePtr operand;  // Select, Has, Comprehension's range, a method call's target
  std::vector<NodePtr> args;
  std::string var;
  size_t offset = 0;
};

}  // namespace sso::apiserver::cel
