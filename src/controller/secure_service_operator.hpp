#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "controller/ca_reconciler.hpp"
#include "controller/ca_source.hpp"
#include "controller/cluster_ca.hpp"
#include "controller/desired_policies.hpp"
#include "controller/secure_service_reconciler.hpp"
#include "kube/rest_client.hpp"
#include "kube/runtime.hpp"
#include "metrics/registry.hpp"
#include "metrics/secure_service_metrics.hpp"

namespace sso::controller {

struct OperatorOptions {
  std::vector<std::string> namespaces;  // empty: every namespace
  ClusterSettings settings;
  std::string ca_namespace;
  std::string ca_name = "secureservice-operator-ca";
  ClusterCaOptions ca;
};

// The SecureService operator's informers and controllers, registered on a Runtime: the
// cluster CA controller and the SecureService controller, with the watches that bring a
// SecureService back when something it depends on changes. Owns the reconcilers; must outlive
// the Runtime's run().
class SecureServiceOperator {
 public:
  static Result<std::unique_ptr<SecureServiceOperator>> create(kube::Runtime& runtime, kube::RestClient& client,
                                                               metrics::Registry& registry, OperatorOptions options);

 private:
  SecureServiceOperator(metrics::Registry& registry) : metrics_(registry) {}
  SystemClock clock_;
  CaSource ca_source_;
  metrics::SecureServiceMetrics metrics_;
  std::unique_ptr<CaReconciler> ca_;
  std::unique_ptr<SecureServiceReconciler> services_;
};

}  // namespace sso::controller
