#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "api/secure_service.hpp"
#include "base/result.hpp"
#include "base/time.hpp"
#include "controller/cluster_ca.hpp"
#include "pki/certificate.hpp"
#include "pki/identity.hpp"
#include "pki/renewal.hpp"
#include "pki/secret_bytes.hpp"

namespace sso::controller {

inline constexpr const char* kFingerprintAnnotation = "secureservice.io/fingerprint-sha256";
inline constexpr const char* kNotAfterAnnotation = "secureservice.io/not-after";
inline constexpr const char* kRevisionAnnotation = "secureservice.io/revision";
// Which version of the password Secret keystore.p12 was encrypted with (its uid and
// resourceVersion: nothing of the password itself), so that a new password re-encodes it.
inline constexpr const char* kKeystorePasswordAnnotation = "secureservice.io/keystore-password-version";

struct IdentitySecretInput {
  const api::SecureService& service;
  const pki::IdentityRequest& request;
  const ClusterCa& ca;
  const nlohmann::json& existing;                     // the Secret now, or null
  std::optional<pki::SecretBytes> keystore_password;  // when spec.tls.keystores.pkcs12 is enabled
  TimePoint now;
  std::string keystore_password_version = {};  // uid/resourceVersion of the password Secret
  pki::KeyFactsCache* key_facts = nullptr;     // the reconciler's, kept between plans; null reads tls.key each time
};

// The Secret the service should have: the current identity kept when the PKI engine's
// decision allows, else a new one (the old key reused when rotationPolicy is Never). Key and
// certificate are always written together, in one object, so no reader ever sees a pair
// that does not match.
struct IdentitySecretPlan {
  nlohmann::json secret;
  std::optional<pki::ReissueDecision> issued;  // set when a new certificate was minted
  std::vector<pki::Certificate> chain;         // the certificate in `secret`, leaf first
  int64_t revision = 0;                        // how many certificates were issued for the service
  TimePoint renewal_time;
};

Result<IdentitySecretPlan> plan_identity_secret(const IdentitySecretInput& input);

// Whether `secret` belongs to `service`: our label and a controller ownerReference to its
// uid (or, offline, the name label alone). A Secret of the same name that someone else owns
// is never overwritten.
bool is_owned_by(const nlohmann::json& secret, const api::SecureService& service);

}  // namespace sso::controller
