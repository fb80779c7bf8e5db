#include "apiserver/faults.hpp"

namespace sso::apiserver {

void Faults::fail_next(const std::string& verb, const std::string& resource, int count, int code,
                       int retry_after_seconds) {
  std::lock_guard lock(mu_);
  rules_.push_back(Rule{verb, resource, count, code, retry_after_seconds});
}

void Faults::set_latency(std::chrono::milliseconds latency) {
  std::lock_guard lock(mu_);
  latency_ = latency;
}

void Faults::clear() {
  std::lock_guard lock(mu_);
  rules_.clear();
  latency_ = std::chrono::milliseconds(0);
}

std::chrono::milliseconds Faults::latency() const {
  std::lock_guard lock(mu_);
  return latency_;
}

std::optional<ApiResponse> Faults::take(const std::string& verb, const std::string& resource) {
  std::lock_guard lock(mu_);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if ((it->verb != "*" && it->verb != verb) || (it->resource != "*" && it->resource != resource)) continue;
    const Rule rule = *it;
    if (--it->remaining <= 0) rules_.erase(it);
    switch (rule.code) {
      case 429: {
        ApiResponse r = status_error(429, "TooManyRequests",
                                     "the server has received too many requests and has "
                                     "asked us to try again later",
                                     {{"retryAfterSeconds", rule.retry_after_seconds}});
        r.headers.emplace_back("Retry-After", std::to_string(rule.retry_after_seconds));
        return r;
      }
      case 409:
        return status_error(409, "Conflict",
                            "Operation cannot be fulfilled on " + resource +
                                ": the object has been modified; please apply your changes to the "
                                "latest version and try again (injected)");
      case 503: return status_error(503, "ServiceUnavailable", "the server is currently unable to handle the request");
      case 500: return status_error(500, "InternalError", "Internal error occurred: injected fault");
      default: return status_error(rule.code, "InternalError", "injected fault");
    }
  }
  return std::nullopt;
}

}  // namespace sso::apiserver
