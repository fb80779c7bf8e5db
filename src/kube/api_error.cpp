#include "kube/api_error.hpp"

#include <nlohmann/json.hpp>

#include "kube/resource.hpp"

namespace sso::kube {
namespace {

// client-go's NewGenericServerResponse: the reason a bare status code implies.
std::string_view reason_for_code(int code) {
  switch (code) {
    case 400: return reason::kBadRequest;
    case 401: return reason::kUnauthorized;
    case 403: return reason::kForbidden;
    case 404: return reason::kNotFound;
    case 409: return reason::kConflict;
    case 410: return reason::kGone;
    case 422: return reason::kInvalid;
    case 429: return reason::kTooManyRequests;
    case 503: return reason::kServiceUnavailable;
    case 504: return reason::kTimeout;
    default: return code >= 500 ? reason::kInternalError : "Unknown";
  }
}

ErrorCode code_for(int http_status, std::string_view why) {
  if (http_status == 409) return why == reason::kAlreadyExists ? ErrorCode::kAlreadyExists : ErrorCode::kAborted;
  switch (http_status) {
    case 400:
    case 422: return ErrorCode::kInvalidArgument;
    case 401:
    case 403: return ErrorCode::kPermissionDenied;
    case 404: return ErrorCode::kNotFound;
    case 410: return ErrorCode::kFailedPrecondition;
    case 504: return ErrorCode::kDeadlineExceeded;
    default: return ErrorCode::kUnavailable;  // 429 and 5xx: retry, after Retry-After when given
  }
}

std::optional<std::chrono::seconds> parse_retry_after(const std::map<std::string, std::string>& headers) {
  auto it = headers.find("retry-after");
  if (it == headers.end()) return std::nullopt;
  try {
    const long seconds = std::stol(it->second);
    if (seconds >= 0) return std::chrono::seconds(seconds);
  } catch (...) {
    // An HTTP-date Retry-After: kube-apiserver never sends one; ignore it as client-go does.
  }
  return std::nullopt;
}

Error build(int http_status, const nlohmann::json& status, std::optional<std::chrono::seconds> retry_after,
            std::string_view what, std::string_view raw_body) {
  std::string why;
  std::string message;
  // The body is read without trusting its shape: a field of the wrong type is ignored.
  if (string_field(status, "kind") == "Status") {
    why = string_field(status, "reason");
    message = string_field(status, "message");
    const auto code = status.find("code");
    if (code != status.end() && code->is_number_integer()) {
      const auto value = code->get<int64_t>();
      if (value >= 100 && value <= 599) http_status = static_cast<int>(value);
    }
    const auto details = status.find("details");
    if (!retry_after && details != status.end() && details->is_object()) {
      const auto seconds = details->find("retryAfterSeconds");
      if (seconds != details->end() && seconds->is_number_integer() && seconds->get<int64_t>() >= 0) {
        retry_after = std::chrono::seconds(std::min<int64_t>(seconds->get<int64_t>(), 3600));
      }
    }
  }
  if (why.empty()) why = std::string(reason_for_code(http_status));
  if (message.empty()) {
    message = "the server answered " + std::to_string(http_status);
    // A body that is not a Status (a proxy's HTML page) is shown, but only its start.
    if (!raw_body.empty()) message += ": " + std::string(raw_body.substr(0, 200));
  }
  Error error(code_for(http_status, why), message);
  error.set_api_status(http_status, why, retry_after);
  error.add_context(std::string(what));
  return error;
}

}  // namespace

Error api_error(int http_status, std::string_view body, const std::map<std::string, std::string>& headers,
                std::string_view what) {
  const auto status = nlohmann::json::parse(body, nullptr, false);
  return build(http_status, status, parse_retry_after(headers), what, status.is_discarded() ? body : "");
}

Error api_error_from_status(int http_status_fallback, std::string_view status_json, std::string_view what) {
  const auto status = nlohmann::json::parse(status_json, nullptr, false);
  return build(http_status_fallback, status, std::nullopt, what, status.is_discarded() ? status_json : "");
}

bool is_not_found(const Error& e) { return e.reason() == reason::kNotFound; }
bool is_already_exists(const Error& e) { return e.reason() == reason::kAlreadyExists; }
bool is_conflict(const Error& e) { return e.reason() == reason::kConflict; }
bool is_gone(const Error& e) {
  return e.reason() == reason::kGone || e.reason() == reason::kExpired || e.http_status() == 410;
}
bool is_forbidden(const Error& e) { return e.reason() == reason::kForbidden; }
bool is_invalid(const Error& e) { return e.reason() == reason::kInvalid; }
bool is_too_many_requests(const Error& e) { return e.reason() == reason::kTooManyRequests || e.http_status() == 429; }
bool is_server_error(const Error& e) { return e.http_status() >= 500; }

}  // namespace sso::kube
