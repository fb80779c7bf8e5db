#pragma once

#include <chrono>
#include <optional>
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

  // For an error a remote API answered with: its machine-readable reason (a Kubernetes
  // Status reason such as "NotFound", "Conflict" or "Expired"), its HTTP status, and how
  // long it asked callers to wait before retrying. Callers switch on these, never on text.
  const std::string& reason() const { return reason_; }
  int http_status() const { return http_status_; }
  std::optional<std::chrono::seconds> retry_after() const { return retry_after_; }
  Error& set_api_status(int http_status, std::string reason, std::optional<std::chrono::seconds> retry_after) & {
    http_status_ = http_status;
    reason_ = std::move(reason);
    retry_after_ = retry_after;
    return *this;
  }

 private:
  ErrorCode code_;
  std::string message_;
  std::vector<std::string> context_;  // innermost first
  std::string reason_;
  int http_status_ = 0;
  std::optional<std::chrono::seconds> retry_after_;
};

inline Error invalid_argument(std::string message) { return {ErrorCode::kInvalidArgument, std::move(message)}; }
inline Error failed_precondition(std::string message) { return {ErrorCode::kFailedPrecondition, std::move(message)}; }
inline Error internal_error(std::string message) { return {ErrorCode::kInternal, std::move(message)}; }
inline Error not_found(std::string message) { return {ErrorCode::kNotFound, std::move(message)}; }
inline Error unimplemented(std::string message) { return {ErrorCode::kUnimplemented, std::move(message)}; }
inline Error unavailable(std::string message) { return {ErrorCode::kUnavailable, std::move(message)}; }
inline Error resource_exhausted(std::string message) { return {ErrorCode::kResourceExhausted, std::move(message)}; }

}  // namespace sso
