#include "metrics/secure_service_metrics.hpp"

namespace sso::metrics {

SecureServiceMetrics::SecureServiceMetrics(Registry& registry) {
  auto& r = registry.prometheus();
  expiration_ = &prometheus::BuildGauge()
                     .Name("secureservice_certificate_expiration_timestamp_seconds")
                     .Help("The date after which the SecureService's certificate expires, in seconds since the epoch.")
                     .Register(r);
  renewal_ =
      &prometheus::BuildGauge()
           .Name("secureservice_certificate_renewal_timestamp_seconds")
           .Help("The time at which the operator renews the SecureService's certificate, in seconds since the epoch.")
           .Register(r);
  ready_ = &prometheus::BuildGauge()
                .Name("secureservice_certificate_ready_status")
                .Help("The SecureService's Ready condition: 1 for the condition it has, 0 for the other.")
                .Register(r);
  issued_ = &prometheus::BuildCounter()
                 .Name("secureservice_certificates_issued_total")
                 .Help("Certificates issued, by the reason for issuing and the key algorithm.")
                 .Register(r);
  revoked_ = &prometheus::BuildCounter()
                  .Name("secureservice_certificates_revoked_total")
                  .Help("Certificates revoked on request, by the RFC 5280 revocation reason.")
                  .Register(r);
  ca_expiration_ = &prometheus::BuildGauge()
                        .Name("secureservice_ca_expiration_timestamp_seconds")
                        .Help("The date after which the CA that signs now expires, in seconds since the epoch.")
                        .Register(r);
  managed_ = &prometheus::BuildGauge()
                  .Name("secureservice_managed_objects")
                  .Help("Objects the operator keeps for SecureServices, by kind.")
                  .Register(r);
}

void SecureServiceMetrics::set_certificate(const std::string& ns, const std::string& name, double expiration_seconds,
                                           double renewal_seconds) {
  std::lock_guard lock(mu_);
  expiration_->Add({{"namespace", ns}, {"name", name}}).Set(expiration_seconds);
  renewal_->Add({{"namespace", ns}, {"name", name}}).Set(renewal_seconds);
}

void SecureServiceMetrics::set_ready(const std::string& ns, const std::string& name, bool ready) {
  std::lock_guard lock(mu_);
  ready_->Add({{"namespace", ns}, {"name", name}, {"condition", "True"}}).Set(ready ? 1 : 0);
  ready_->Add({{"namespace", ns}, {"name", name}, {"condition", "False"}}).Set(ready ? 0 : 1);
}

void SecureServiceMetrics::forget(const std::string& ns, const std::string& name) {
  std::lock_guard lock(mu_);
  const std::map<std::string, std::string> labels = {{"namespace", ns}, {"name", name}};
  if (expiration_->Has(labels)) expiration_->Remove(&expiration_->Add(labels));
  if (renewal_->Has(labels)) renewal_->Remove(&renewal_->Add(labels));
  for (const char* condition : {"True", "False"}) {
    const std::map<std::string, std::string> l = {{"namespace", ns}, {"name", name}, {"condition", condition}};
    if (ready_->Has(l)) ready_->Remove(&ready_->Add(l));
  }
}

void SecureServiceMetrics::count_issued(const std::string& reason, const std::string& algorithm) {
  std::lock_guard lock(mu_);
  issued_->Add({{"reason", reason}, {"algorithm", algorithm}}).Increment();
}

void SecureServiceMetrics::count_revoked(const std::string& reason) {
  std::lock_guard lock(mu_);
  revoked_->Add({{"reason", reason}}).Increment();
}

void SecureServiceMetrics::set_ca_expiration(const std::string& secret, double expiration_seconds) {
  std::lock_guard lock(mu_);
  ca_expiration_->Add({{"secret", secret}}).Set(expiration_seconds);
}

// Totals move by each service's difference, so that a reconcile costs the same with 10,000
// services as with ten (summing them all each time made bench_scale's 10,000 quadratic).
void SecureServiceMetrics::set_managed(const std::string& service_key, const std::map<std::string, int>& by_kind) {
  std::lock_guard lock(mu_);
  auto& kept = managed_by_service_[service_key];
  move_totals_locked(kept, -1);
  kept = by_kind;
  move_totals_locked(kept, +1);
}

void SecureServiceMetrics::forget_managed(const std::string& service_key) {
  std::lock_guard lock(mu_);
  auto it = managed_by_service_.find(service_key);
  if (it == managed_by_service_.end()) return;
  move_totals_locked(it->second, -1);
  managed_by_service_.erase(it);
}

void SecureServiceMetrics::move_totals_locked(const std::map<std::string, int>& by_kind, int sign) {
  // A kind that goes to zero stays published, at 0.
  for (const auto& [kind, count] : by_kind) {
    int& total = managed_totals_[kind];
    total += sign * count;
    managed_->Add({{"kind", kind}}).Set(total);
  }
}

}  // namespace sso::metrics
