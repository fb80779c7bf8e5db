#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace sso::kube {

class RestClient;

// An HTTP request's bearer token against the API server, as controller-runtime's
// WithAuthenticationAndAuthorization protects /metrics: who it is (a TokenReview), then
// whether that user may VERB PATH (a SubjectAccessReview on a non-resource URL). Answers
// are cached as controller-runtime caches them: a token for a minute, an allow for five, a
// deny for thirty seconds; a failed review is not cached. Tokens are kept only as their
// SHA-256, and never logged.
class ReviewedAccess {
 public:
  struct Options {
    std::chrono::seconds token_ttl{60};
    std::chrono::seconds allow_ttl{300};
    std::chrono::seconds deny_ttl{30};
    size_t max_entries = 4096;  // per cache; beyond, expired entries go, then everything
  };
  // What to answer: status 0 to serve the request; else 401, 403 or 500 with its message
  // (controller-runtime's words).
  struct Decision {
    int status = 0;
    std::string message;
  };

  explicit ReviewedAccess(RestClient& client) : ReviewedAccess(client, Options{}) {}
  ReviewedAccess(RestClient& client, Options options) : client_(client), options_(options) {}

  // `authorization` is the request's Authorization header; verb is lower case ("get").
  // Blocks on the reviews it needs: call it off the HTTP edge's threads.
  Decision check(const std::string& authorization, const std::string& verb, const std::string& path);

 private:
  using Clock = std::chrono::steady_clock;
  struct User {
    bool authenticated = false;
    std::string name;
    std::vector<std::string> groups;
    Clock::time_point expires;
  };
  struct Verdict {
    bool allowed = false;
    Clock::time_point expires;
  };
  template <class Entry>
  void remember(std::map<std::string, Entry>& cache, const std::string& key, Entry entry);

  RestClient& client_;
  Options options_;
  std::mutex mu_;
  std::map<std::string, User> users_;        // by the token's SHA-256
  std::map<std::string, Verdict> verdicts_;  // by user, groups, verb and path
};

}  // namespace sso::kube
