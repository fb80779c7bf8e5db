#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "base/time.hpp"
#include "pki/certificate.hpp"
#include "pki/certificate_authority.hpp"

namespace sso::pki {

// RFC 5280 5.3.1 CRLReason, with the names cert-manager and `openssl ca -crl_reason` use.
enum class RevocationReason {
  kUnspecified = 0,
  kKeyCompromise = 1,
  kCACompromise = 2,
  kAffiliationChanged = 3,
  kSuperseded = 4,
  kCessationOfOperation = 5,
  kCertificateHold = 6,
  kPrivilegeWithdrawn = 9,
};

Result<RevocationReason> parse_revocation_reason(std::string_view name);  // "keyCompromise", ...
std::string_view to_string(RevocationReason reason);

struct RevokedCertificate {
  std::string serial_hex;  // as Certificate::serial_hex()
  TimePoint revoked_at;
  RevocationReason reason = RevocationReason::kUnspecified;
};

// The serials one CA has revoked. Revoking a serial twice keeps the first entry, so the
// list can be rebuilt from a persisted copy and replayed without change.
class RevocationList {
 public:
  // Refuses a serial that is not hex.
  Status revoke(std::string_view serial_hex, TimePoint at, RevocationReason reason);
  bool is_revoked(std::string_view serial_hex) const;
  const std::vector<RevokedCertificate>& entries() const { return entries_; }

 private:
  std::vector<RevokedCertificate> entries_;
};

// Reads a CRL (PEM, one block, as sign_crl writes it) back into the list it carries, after
// checking that `issuer` signed it: another CA's CRL says nothing about this CA's serials.
// The CRL in the CA Secret is the persisted list; re-signing starts from what it holds.
Result<RevocationList> read_crl(std::string_view crl_pem, const Certificate& issuer);

// Signs an X.509 v2 CRL (PEM) over the list, with the CRL number and authority key
// identifier extensions, valid from `this_update` to `next_update`.
Result<std::string> sign_crl(const CertificateAuthority& ca, const RevocationList& revoked, uint64_t crl_number,
                             TimePoint this_update, TimePoint next_update);

}  // namespace sso::pki
