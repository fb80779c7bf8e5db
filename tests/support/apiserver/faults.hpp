#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "apiserver/status_errors.hpp"

namespace sso::apiserver {

// Failures and delays that tests switch on, as a flaky or overloaded kube-apiserver would
// show them.
class Faults {
 public:
  // The next `count` requests with this verb ("get", "list", "watch", "create", "update",
  // "patch", "delete", or "*") on this resource (plural, or "*") fail with `code`: 500
  // InternalError, 429 TooManyRequests with Retry-After, 409 Conflict, 503, or any other.
  void fail_next(const std::string& verb, const std::string& resource, int count, int code,
                 int retry_after_seconds = 1);
  void set_latency(std::chrono::milliseconds latency);
  void clear();

  std::chrono::milliseconds latency() const;
  // The injected failure for this request, if one is due (and counts it down).
  std::optional<ApiResponse> take(const std::string& verb, const std::string& resource);

 private:
  struct Rule {
    std::string verb;
    std::string resource;
    int remaining;
    int code;
    int retry_after_seconds;
  };
  mutable std::mutex mu_;
  std::vector<Rule> rules_;
  std::chrono::milliseconds latency_{0};
};

}  // namespace sso::apiserver
