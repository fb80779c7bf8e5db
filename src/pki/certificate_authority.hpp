#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "base/time.hpp"
#include "pki/certificate.hpp"
#include "pki/identity.hpp"
#include "pki/private_key.hpp"
#include "pki/secret_bytes.hpp"

namespace sso::pki {

struct CaOptions {
  std::string common_name = "secureservice-operator CA";
  std::string organization = "secureservice.io";
  KeySpec key;
  std::chrono::seconds validity = std::chrono::hours(24 * 365 * 10);
};

// A CA that signs leaves and CRLs: its certificate (with any chain above it, when it is an
// intermediate) and its key.
class CertificateAuthority {
 public:
  // A new self-signed root: basicConstraints CA:TRUE (critical), keyUsage keyCertSign and
  // cRLSign (critical), subject and authority key identifiers.
  static Result<CertificateAuthority> create(const CaOptions& options, TimePoint now);

  // A CA from a Secret's tls.crt (the CA first, then the chain above it) and tls.key.
  // Refuses a certificate that is not a CA, a key that does not match it, and a CA that is
  // expired or not yet valid at `now`.
  static Result<CertificateAuthority> load(std::string_view cert_pem, std::string_view key_pem, TimePoint now);

  // Mints a leaf for the request with a fresh key, or with `reuse_key` (rotationPolicy
  // Never). notBefore is backdated by kClockSkewAllowance; notAfter is capped at the CA's.
  Result<Identity> issue(const IdentityRequest& request, TimePoint now,
                         const std::optional<PrivateKey>& reuse_key = std::nullopt) const;

  const Certificate& certificate() const { return chain_.front(); }
  // The CA certificate and those above it, as given.
  const std::vector<Certificate>& chain() const { return chain_; }
  const PrivateKey& key() const { return key_; }
  SecretBytes key_pem() const { return key_.to_pkcs8_pem(); }

 private:
  CertificateAuthority(std::vector<Certificate> chain, PrivateKey key)
      : chain_(std::move(chain)), key_(std::move(key)) {}
  std::vector<Certificate> chain_;
  PrivateKey key_;
};

}  // namespace sso::pki
