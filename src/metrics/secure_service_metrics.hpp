#pragma once

#include <map>
#include <mutex>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>

#include "metrics/registry.hpp"

namespace sso::metrics {

// The operator's own metrics, named as cert-manager's (certmanager_certificate_expiration_
// timestamp_seconds, ..._renewal_timestamp_seconds, ..._ready_status) so that the same
// alerts and dashboards carry over. Per-service series are removed when the service goes.
class SecureServiceMetrics {
 public:
  explicit SecureServiceMetrics(Registry& registry);

  // secureservice_certificate_{expiration,renewal}_timestamp_seconds and _ready_status
  // {namespace, name} (ready_status also {condition="True"|"False"}, one of them 1).
  void set_certificate(const std::string& ns, const std::string& name, double expiration_seconds,
                       double renewal_seconds);
  void set_ready(const std::string& ns, const std::string& name, bool ready);
  void forget(const std::string& ns, const std::string& name);
  // secureservice_certificates_issued_total{reason, algorithm}
  void count_issued(const std::string& reason, const std::string& algorithm);
  // secureservice_certificates_revoked_total{reason}: the RFC 5280 reason ("keyCompromise").
  void count_revoked(const std::string& reason);
  // secureservice_ca_expiration_timestamp_seconds{secret}: the CA that signs now.
  void set_ca_expiration(const std::string& secret, double expiration_seconds);
  // secureservice_managed_objects{kind}: objects the operator keeps, by kind, for one service
  // (summed over services).
  void set_managed(const std::string& service_key, const std::map<std::string, int>& by_kind);
  void forget_managed(const std::string& service_key);

 private:
  void move_totals_locked(const std::map<std::string, int>& by_kind, int sign);

  prometheus::Family<prometheus::Gauge>* expiration_;
  prometheus::Family<prometheus::Gauge>* renewal_;
  prometheus::Family<prometheus::Gauge>* ready_;
  prometheus::Family<prometheus::Counter>* issued_;
  prometheus::Family<prometheus::Counter>* revoked_;
  prometheus::Family<prometheus::Gauge>* ca_expiration_;
  prometheus::Family<prometheus::Gauge>* managed_;
  std::mutex mu_;
  std::map<std::string, std::map<std::string, int>> managed_by_service_;
  std::map<std::string, int> managed_totals_;
};

}  // namespace sso::metrics
