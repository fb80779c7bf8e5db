#pragma once

#include <cstdlib>
#include <optional>
#include <utility>
#include <variant>

#include "base/error.hpp"

namespace sso {

// A value or an Error, in the manner of absl::StatusOr. Reading the value of an error
// (or the error of a value) is a programming error and aborts.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return checked_value(); }
  const T& value() const& { return const_cast<Result*>(this)->checked_value(); }
  T&& value() && { return std::move(checked_value()); }
  T* operator->() { return &checked_value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return checked_value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(checked_value()); }

  const Error& error() const& {
    if (ok()) std::abort();
    return std::get<1>(state_);
  }
  Error&& error() && {
    if (ok()) std::abort();
    return std::get<1>(std::move(state_));
  }

 private:
  T& checked_value() {
    if (!ok()) std::abort();
    return std::get<0>(state_);
  }
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const& {
    if (ok()) std::abort();
    return *error_;
  }
  Error&& error() && {
    if (ok()) std::abort();
    return std::move(*error_);
  }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace sso

#define SSO_CONCAT_INNER_(a, b) a##b
#define SSO_CONCAT_(a, b) SSO_CONCAT_INNER_(a, b)

// Returns the error of `expr` (a Result or Status) from the enclosing function, with `step`
// added as context when given: SSO_RETURN_IF_ERROR(load_ca(ref), "load CA");
#define SSO_RETURN_IF_ERROR(expr, ...)                          \
  do {                                                          \
    auto&& sso_status_ = (expr);                                \
    if (!sso_status_.ok()) {                                    \
      ::sso::Error sso_error_ = std::move(sso_status_).error(); \
      __VA_OPT__(sso_error_.add_context(__VA_ARGS__);)          \
      return sso_error_;                                        \
    }                                                           \
  } while (false)

// Declares `lhs` from the value of `expr`, or returns its error with `step` added:
// SSO_ASSIGN_OR_RETURN(auto ca, load_ca(ref), "load CA");
#define SSO_ASSIGN_OR_RETURN(lhs, expr, ...) \
  SSO_ASSIGN_OR_RETURN_IMPL_(SSO_CONCAT_(sso_result_, __LINE__), lhs, expr __VA_OPT__(, ) __VA_ARGS__)

#define SSO_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr, ...) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) {                                      \
    ::sso::Error sso_error_ = std::move(tmp).error();   \
    __VA_OPT__(sso_error_.add_context(__VA_ARGS__);)    \
    return sso_error_;                                  \
  }                                                     \
  lhs = std::move(tmp).value()
