#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"
#include "base/time.hpp"
#include "pki/certificate_authority.hpp"
#include "pki/revocation.hpp"

namespace sso::controller {

// The cluster CA lives in one Secret (--ca-secret NAMESPACE/NAME):
//   tls.crt, tls.key  the CA that signs leaves now
//   ca.crt            the trust bundle: that CA first, then CAs still trusted (the previous
//                     one until its overlap ends, the next one while it is staged)
//   ca.crl            a CRL signed by the issuing CA
//   next.crt, next.key  a staged CA: already trusted, not yet signing
// A rotation is two-phase so that no workload ever meets a leaf from a CA it does not yet
// trust (Istio's root rotation and trust-manager bundles work the same way):
//   stage: mint the next CA and add it to the bundle; wait `propagation` (kubelet refreshes
//          mounted Secrets within about a minute);
//   promote: the next CA signs; the previous stays in the bundle until `overlap` ends, while
//          every leaf is re-issued.
// A rotation starts when the CA reaches its renewal time (two thirds of its life) or when the
// Secret is annotated secureservice.io/rotate (any value); the annotation is removed.
inline constexpr const char* kRotateAnnotation = "secureservice.io/rotate";
inline constexpr const char* kPromoteAfterAnnotation = "secureservice.io/promote-after";
inline constexpr const char* kRetireAfterAnnotation = "secureservice.io/retire-after";
inline constexpr const char* kCrlNumberAnnotation = "secureservice.io/crl-number";
inline constexpr const char* kCrlSignedAtAnnotation = "secureservice.io/crl-signed-at";

struct ClusterCaOptions {
  pki::CaOptions ca;  // for the CAs this operator mints
  std::chrono::seconds propagation = std::chrono::minutes(5);
  std::chrono::seconds overlap = std::chrono::hours(24);
  std::chrono::seconds crl_validity = std::chrono::hours(24 * 7);
};

// The cluster CA as the SecureService controller uses it: immutable once loaded, shared.
struct ClusterCa {
  pki::CertificateAuthority issuer;
  std::vector<pki::Certificate> trusted;  // the bundle, issuing CA first
  std::string bundle_pem;
  std::string crl_pem;
  std::string resource_version;  // of the Secret it came from
  pki::RevocationList revoked;   // what crl_pem lists, when the issuing CA signed it
  std::string crl_problem;       // why crl_pem was not read into `revoked` ("" when it was, or is empty)
};

// What the CA controller should do to the CA Secret now (nullopt data: leave it).
struct CaSecretStep {
  std::optional<nlohmann::json> secret;  // the whole Secret to create or update
  std::string reason;                    // "Created", "RotationStaged", "RotationPromoted", ...
  std::string message;
  std::optional<TimePoint> next_check;  // when to look again (promotion, retirement, renewal, CRL)
};

// Pure: the next step for the CA Secret `current` (null when absent) at `now`. Refuses a
// Secret whose CA does not load (named field), so that a broken CA is reported, not replaced:
// replacing it would silently break every workload's trust.
Result<CaSecretStep> next_ca_secret_step(const nlohmann::json& current, const std::string& ns, const std::string& name,
                                         const ClusterCaOptions& options, TimePoint now);

// Adds `serial` (a leaf of the issuing CA) to the cluster CA's CRL and re-signs it, the CRL
// number one up: the CRL is the persisted revoked list. nullopt secret: already revoked. The
// reason is "CertificateRevoked". Refuses a Secret whose CA or CRL does not load, as
// next_ca_secret_step does: a CRL re-signed from nothing would un-revoke what it listed.
Result<CaSecretStep> revoke_in_ca_secret(const nlohmann::json& current, const std::string& serial,
                                         pki::RevocationReason reason, const ClusterCaOptions& options, TimePoint now);

// Loads the CA a Secret holds now: the cluster CA's, or a user's (spec.issuer.caSecretRef).
// tls.crt and tls.key are required; ca.crt, when present, holds the CAs trusted besides (the
// roots of an intermediate, a CA staged or retiring); ca.crl, when present, the CRL, whose
// entries count (ClusterCa::revoked) when the issuing CA signed it.
Result<ClusterCa> load_ca_secret(const nlohmann::json& secret, TimePoint now);

}  // namespace sso::controller
