#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/secure_service.hpp"
#include "kube/label_selector.hpp"
#include "webhook/verdict.hpp"

// The SecureService rule of the validating webhook: what the CRD's schema cannot check because
// it needs the other SecureServices of the namespace or the operator's configuration. Pure.
namespace sso::webhook {

inline constexpr std::string_view kReasonSelectorOverlap = "SelectorOverlap";
inline constexpr std::string_view kReasonSecretNameConflict = "SecretNameConflict";
inline constexpr std::string_view kReasonCrossNamespaceCa = "CrossNamespaceCA";
inline constexpr std::string_view kReasonNamespaceNotWatched = "NamespaceNotWatched";
inline constexpr std::string_view kReasonValid = "Valid";

struct SecureServiceRules {
  std::vector<std::string> watched_namespaces;  // empty: all
};

// Denies (first failing check wins) a selector overlapping another SecureService's, a Secret
// name another SecureService writes or that names the CA or PKCS#12 password Secret, and a CA
// in another namespace; warns when the operator does not watch the namespace.
// `others_in_namespace` may hold the candidate's stored self (an UPDATE): same name is skipped.
Verdict decide_secure_service(const api::SecureService& candidate,
                              const std::vector<const api::SecureService*>& others_in_namespace,
                              const SecureServiceRules& rules);

// Whether some set of labels matches both selectors (exact for matchLabels and
// matchExpressions with In, NotIn, Exists, DoesNotExist).
bool selectors_overlap(const kube::LabelSelector& a, const kube::LabelSelector& b);

}  // namespace sso::webhook
