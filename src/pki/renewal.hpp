#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/time.hpp"
#include "pki/certificate.hpp"
#include "pki/identity.hpp"
#include "pki/revocation.hpp"

namespace sso::pki {

// Why an identity must be issued again. The names become Event reasons and the `reason`
// label of secureservice_certificates_issued_total, so they are stable CamelCase words.
enum class ReissueReason {
  kMissingData,          // no certificate or no key
  kInvalidData,          // the certificate or key does not parse
  kKeyMismatch,          // the key is not the certificate's
  kRevoked,              // its serial is on the issuing CA's CRL
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
    ReissueReason::kMissingData,     ReissueReason::kInvalidData,    ReissueReason::kKeyMismatch,
    ReissueReason::kRevoked,         ReissueReason::kIssuerMismatch, ReissueReason::kCARotated,
    ReissueReason::kIdentityChanged, ReissueReason::kUsageChanged,   ReissueReason::kKeyAlgorithmChanged,
    ReissueReason::kExpired,         ReissueReason::kRenewalDue,
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

// What the decision needs of tls.key, read against the leaf of tls.crt: not the key itself.
// The same key bytes against the same leaf always give the same facts.
struct KeyFacts {
  bool parses = false;        // tls.key holds one usable private key
  bool matches_leaf = false;  // and it is the leaf's key
  KeySpec spec;               // its algorithm and size, when it parses
};
KeyFacts read_key_facts(std::string_view key_pem, const Certificate& leaf);

// The KeyFacts of each (tls.key, leaf) pair read, by a SHA-256 over both, for a caller that
// decides for the same Secrets again and again (a reconciler: on every watch event). Reading a
// private key is most of what a decision that keeps the identity costs, as OpenSSL 3 looks up
// its decoders on every read. Holds nothing secret. Bounded: emptied when full. Safe to share
// between threads.
class KeyFactsCache {
 public:
  explicit KeyFactsCache(size_t capacity = 4096) : capacity_(capacity) {}
  KeyFacts facts_of(std::string_view key_pem, const Certificate& leaf);
  size_t size() const;

 private:
  mutable std::mutex mu_;
  const size_t capacity_;
  std::unordered_map<std::string, KeyFacts> by_digest_;
};

// tls.crt and tls.key read once, for the decision and for what the caller does next: a Secret
// that is kept goes on with the chain read here.
struct HeldIdentity {
  bool has_certificate = false;    // tls.crt is present and not empty
  bool has_key = false;            // tls.key is present and not empty
  std::vector<Certificate> chain;  // tls.crt, leaf first; empty when it does not parse
  KeyFacts key;                    // tls.key read against the leaf; not read without a leaf
};
// `cache`, when given, keeps the key's facts from one call to the next.
HeldIdentity read_held_identity(std::optional<std::string_view> certificate_pem,
                                std::optional<std::string_view> key_pem, KeyFactsCache* cache = nullptr);

// The same decision over what read_held_identity read.
struct HeldRenewalInput {
  const HeldIdentity& held;
  const IdentityRequest& request;
  const Certificate& issuing_ca;
  const std::vector<Certificate>& trusted_cas;
  TimePoint now;
  const RevocationList* revoked = nullptr;  // the issuing CA's CRL, when it has one
};
std::optional<ReissueDecision> decide_reissue(const HeldRenewalInput& input);

// cert-manager's renewal time: notAfter - renewBefore, with renewBefore a third of the
// certificate's actual lifetime when not given or not shorter than that lifetime.
TimePoint renewal_time(TimePoint not_before, TimePoint not_after, std::optional<std::chrono::seconds> renew_before);
TimePoint renewal_time(const Certificate& cert, std::optional<std::chrono::seconds> renew_before);

}  // namespace sso::pki
