#pragma once

#include <gmock/gmock.h>

#include "base/result.hpp"

namespace sso::testing {

// Asserts on codes, not messages, as Envoy's status_utility.h does.
MATCHER(IsOk, "is OK") {
  if (arg.ok()) return true;
  *result_listener << "error: " << arg.error().describe();
  return false;
}

MATCHER_P(HasCode, code, "fails with " + std::string(::sso::to_string(code))) {
  if (arg.ok()) {
    *result_listener << "it succeeded";
    return false;
  }
  *result_listener << "error " << ::sso::to_string(arg.error().code()) << ": " << arg.error().describe();
  return arg.error().code() == code;
}

}  // namespace sso::testing
