#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"

namespace sso::testing {

// An HTTPS admission webhook for tests of the API test server: it serves NAME.NAMESPACE.svc
// with a certificate from its own CA, answers each AdmissionReview with `decide`, and keeps
// the reviews it received. (The operator's real webhook is src/webhook.)
class FakeWebhook {
 public:
  // decide(request) returns the `response` object without uid (filled in here).
  using Decide = std::function<nlohmann::json(const nlohmann::json& request)>;
  static Result<std::unique_ptr<FakeWebhook>> start(const std::string& ns, const std::string& name, Decide decide);
  ~FakeWebhook();

  uint16_t port() const { return port_; }
  const std::string& ca_pem() const { return ca_pem_; }
  std::vector<nlohmann::json> requests();
  // A webhook entry for a Validating/MutatingWebhookConfiguration pointing here.
  nlohmann::json webhook_entry(const std::string& webhook_name, const nlohmann::json& rules) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  std::string ca_pem_;
  std::string ns_, name_;
};

}  // namespace sso::testing
