#pragma once

// Building blocks shared by the CA, leaf and CRL writers in pki/; not for use elsewhere.

#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/time.hpp"
#include "pki/certificate.hpp"
#include "pki/private_key.hpp"

namespace sso::pki {

// A positive 128-bit random serial, as cert-manager and Go's x509 examples draw them.
Result<Asn1IntegerPtr> random_serial();

// The digest to sign with for a key: SHA-384/512 for the larger curves, none for Ed25519.
const EVP_MD* signing_digest(const PrivateKey& signer);

Result<Asn1TimePtr> make_asn1_time(TimePoint t);

// Adds an extension from its OpenSSL config text ("critical,CA:TRUE"), with the issuer
// and subject set for key identifiers.
Status add_extension(X509& cert, const X509* issuer, int nid, const std::string& value);

// subjectAltName from DNS names and URIs; critical when the subject is empty (RFC 5280 4.2.1.6).
Status add_subject_alt_names(X509& cert, const std::vector<std::string>& dns_names,
                             const std::vector<std::string>& ip_addresses, const std::vector<std::string>& uris,
                             bool critical);

}  // namespace sso::pki
