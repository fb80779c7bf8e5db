#pragma once

#include <string>

#include "apiserver/cel_ast.hpp"
#include "apiserver/cel_lexer.hpp"

namespace sso::apiserver::cel {

// Parses a CEL expression (cel-spec's grammar: conditional, ||, &&, relations with `in`,
// arithmetic, unary ! and -, member selection, calls, indexing, list and map literals) and
// expands the macros. nullptr with `error` set when it does not parse.
NodePtr parse(const std::string& expression, SyntaxError* error);

}  // namespace sso::apiserver::cel
