#pragma once

#include <functional>
#include <string>
#include <vector>

#include "kube/label_selector.hpp"
#include "webhook/admission_review.hpp"
#include "webhook/secure_service_index.hpp"

namespace sso::webhook {

inline constexpr const char* kPodPath = "/validate-v1-pod";
inline constexpr const char* kSecureServicePath = "/validate-secureservice-io-v1alpha1-secureservice";

struct AdmissionOptions {
  std::vector<std::string> exempt_namespaces;   // never blocked: the operator's own, kube-system
  std::vector<std::string> watched_namespaces;  // the operator's --namespace (empty: all)
};

// A namespace's labels, from an informer's cache (empty when unknown).
using NamespaceLabels = std::function<kube::Labels(const std::string& ns)>;

// The two webhooks' answers, from the caches only: the SecureServices of the request's
// namespace (the index) and the namespaces' labels. Until the caches
// have synced every request is refused (503): an empty cache would admit every pod.
class AdmissionHandlers {
 public:
  AdmissionHandlers(const SecureServiceIndex& services, NamespaceLabels namespace_labels, std::function<bool()> synced,
                    AdmissionOptions options)
      : services_(services),
        namespace_labels_(std::move(namespace_labels)),
        synced_(std::move(synced)),
        options_(std::move(options)) {}

  // /validate-v1-pod: CREATE and UPDATE of v1 Pods.
  AdmissionResponse validate_pod(const AdmissionRequest& request) const;
  // /validate-secureservice-io-v1alpha1-secureservice: CREATE and UPDATE of SecureServices.
  AdmissionResponse validate_secure_service(const AdmissionRequest& request) const;

 private:
  const SecureServiceIndex& services_;
  NamespaceLabels namespace_labels_;
  std::function<bool()> synced_;
  AdmissionOptions options_;
};

}  // namespace sso::webhook
