#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sso::apiserver::cel {

// CEL's tokens (cel-spec doc/langdef.md, "Syntax").
struct Token {
  enum class Kind { End, Ident, Int, Uint, Double, String, Bytes, Punct };
  Kind kind = Kind::End;
  std::string text;  // identifier or punctuation; the decoded value of a string or bytes literal
  int64_t int_value = 0;
  uint64_t uint_value = 0;
  double double_value = 0;
  size_t offset = 0;  // where it starts in the expression
};

struct SyntaxError {
  size_t offset = 0;
  std::string message;
};

// Splits an expression into tokens; nullopt with `error` set on a malformed literal or an
// unknown character.
std::optional<std::vector<Token>> tokenize(const std::string& expression, SyntaxError* error);

// "<input>:LINE:COL" as cel-go locates an error (1-based line, 1-based column).
std::string locate(const std::string& expression, size_t offset);

}  // namespace sso::apiserver::cel
