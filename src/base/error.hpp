#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sso {

// Codes say what the caller should do, as absl::StatusCode does.
enum class ErrorCode {
  kInvalidArgument,     // the input is wrong: fix it, do not retry
  kNotFound,            // the thing named does not exist
  kAlreadyExists,       // create found it there already
  kFailedPrecondition,  // the world is not in the state needed: report, wait for a change
  kAborted,             // a conflict (409): re-read and redo
  kUnavailable,         // transient: retry with backoff
  kDeadlineExceeded,    // took too long: retry with backoff
  kPermissionDenied,    // not allowed
  kResourceExhausted,   // a size or rate limit was hit
  kUnimplemented,       // not supported
  kInternal,            // a library or invariant failed
};

std::string_view to_string(ErrorCode code);

// An error carries its code, the innermost message, and the steps that led to it
// (outermost first once rendered): "issue certificate: load CA: tls.key: not a PEM private key".
class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<std::string>& context() const { return context_; }

  // Adds the step being performed when the error happened; the latest added is outermost.
  Error& add_context(std::string step) & {
    context_.push_back(std::move(step));
    return *this;
  }
  Error&& add_context(std::string step) && {
    context_.push_back(std::move(step));
    return std::move(*this);
  }

  // "outer: inner: message"
  std::string describe() const;

 private:
  ErrorCode code_;
  std::string message_;
  std::vector<std::string> context_;  // innermost first
};

inline Error invalid_argument(std::string message) { return {ErrorCode::kInvalidArgument, std::move(message)}; }
inline Error failed_precondition(std::string message) { return {ErrorCode::kFailedPrecondition, std::move(message)}; }
inline Error internal_error(std::string message) { return {ErrorCode::kInternal, std::move(message)}; }
inline Error not_found(std::string message) { return {ErrorCode::kNotFound, std::move(message)}; }
inline Error unimplemented(std::string message) { return {ErrorCode::kUnimplemented, std::move(message)}; }
inline Error resource_exhausted(std::string message) { return {ErrorCode::kResourceExhausted, std::move(message)}; }

}  // namespace sso
