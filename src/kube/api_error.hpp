#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace sso::kube {

// metav1.StatusReason values callers switch on (k8s.io/apimachinery/pkg/apis/meta/v1/types.go).
namespace reason {
inline constexpr std::string_view kNotFound = "NotFound";
inline constexpr std::string_view kAlreadyExists = "AlreadyExists";
inline constexpr std::string_view kConflict = "Conflict";
inline constexpr std::string_view kGone = "Gone";
inline constexpr std::string_view kExpired = "Expired";
inline constexpr std::string_view kForbidden = "Forbidden";
inline constexpr std::string_view kUnauthorized = "Unauthorized";
inline constexpr std::string_view kInvalid = "Invalid";
inline constexpr std::string_view kBadRequest = "BadRequest";
inline constexpr std::string_view kTooManyRequests = "TooManyRequests";
inline constexpr std::string_view kInternalError = "InternalError";
inline constexpr std::string_view kServiceUnavailable = "ServiceUnavailable";
inline constexpr std::string_view kTimeout = "Timeout";
}  // namespace reason

// The typed error for an HTTP answer that is not a success: the Status body's reason and
// message when the server sent one, else a reason derived from the code as client-go's
// NewGenericServerResponse does. The ErrorCode says what the caller should do: 409
// Conflict is kAborted (re-read and redo), 409 AlreadyExists kAlreadyExists, 404 kNotFound,
// 410 kFailedPrecondition (relist), 403/401 kPermissionDenied, 400/422 kInvalidArgument,
// 429 and 5xx kUnavailable (retry after Retry-After when given), 504 kDeadlineExceeded.
// `what` names the request: "get configmaps shop/payments".
Error api_error(int http_status, std::string_view body, const std::map<std::string, std::string>& headers,
                std::string_view what);

// The same for a watch ERROR event's object (a Status).
Error api_error_from_status(int http_status_fallback, std::string_view status_json, std::string_view what);

bool is_not_found(const Error& e);
bool is_already_exists(const Error& e);
bool is_conflict(const Error& e);
// 410: a watch or list resourceVersion too old. kube-apiserver says "Expired" or "Gone";
// client-go's isExpiredError treats both alike, and so do we.
bool is_gone(const Error& e);
bool is_forbidden(const Error& e);
bool is_invalid(const Error& e);
bool is_too_many_requests(const Error& e);
bool is_server_error(const Error& e);  // 5xx

}  // namespace sso::kube
