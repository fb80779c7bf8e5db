#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "pki/certificate.hpp"
#include "pki/identity.hpp"

namespace sso::pki {

// Why an identity must be issued again. The names become Event reasons and the `reason`
// label of secureservice_certificates_issued_total, so they are stable CamelCase words.
enum class ReissueReason {
  kMissingData,          // no certificate or no key
  kInvalidData,          // the certificate or key does not parse
  kKeyMismatch,          // the key is not the certificate's
  kIssuerMismatch,       // signed by no CA we trust
  kCARotated,            // signed by a CA we still trust but no longer issue from
  kIdentityChanged,      // common name, DNS names or SPIFFE ID differ from the request
  kUsageChanged,         // key usages or extended key usages differ (TLS mode changed)
  kKeyAlgorithmChanged,  // algorithm or size differ from the request
  kExpired,              // past notAfter
  kRenewalDue,           // inside the renew-before window
};

std::string_view to_string(ReissueReason reason);
inline constexpr ReissueReason kAllReissueReasons[] = {
    ReissueReason::kMissingData,    ReissueReason::kInvalidData,         ReissueReason::kKeyMismatch,
    ReissueReason::kIssuerMismatch, ReissueReason::kCARotated,           ReissueReason::kIdentityChanged,
    ReissueReason::kUsageChanged,   ReissueReason::kKeyAlgorithmChanged, ReissueReason::kExpired,
    ReissueReason::kRenewalDue,
};

struct ReissueDecision {
  ReissueReason reason;
  std::string message;  // for people: "the certificate's DNS names [a] differ from the requested [a, b]"
};

// What a Secret holds now (absent keys are nullopt), and what is wanted.
struct RenewalInput {
  std::optional<std::string_view> certificate_pem;  // tls.crt
  std::optional<std::string_view> key_pem;          // tls.key
  const IdentityRequest& request;
  const Certificate& issuing_ca;                // the CA that signs new leaves
  const std::vector<Certificate>& trusted_cas;  // still trusted during a CA rotation overlap
  TimePoint now;
};

// Gather, then decide: a chain of small pure checks, the first that fails wins (as
// cert-manager's policies.Chain). nullopt means the current identity is good as it is.
std::optional<ReissueDecision> decide_reissue(const RenewalInput& input);

// cert-manager's renewal time: notAfter - renewBefore, with renewBefore a third of the
// certificate's actual lifetime when not given or not shorter than that lifetime.
TimePoint renewal_time(TimePoint not_before, TimePoint not_after, std::optional<std::chrono::seconds> renew_before);
TimePoint renewal_time(const Certificate& cert, std::optional<std::chrono::seconds> renew_before);

}  // namespace sso::pki
