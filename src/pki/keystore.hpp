#pragma once

#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "pki/certificate.hpp"
#include "pki/identity.hpp"
#include "pki/secret_bytes.hpp"

namespace sso::pki {

// A password-protected PKCS#12 keystore (keystore.p12) for Java-style services: the key and
// chain under `alias`, the CA certificates as trusted entries. Encrypted with PBES2
// (PBKDF2, AES-256-CBC) and a SHA-256 MAC, as OpenSSL 3 and Java 12+ default to; never
// the legacy RC2/3DES. An empty password is refused.
Result<SecretBytes> encode_pkcs12(const Identity& identity, const std::vector<Certificate>& ca_certificates,
                                  const SecretBytes& password, std::string_view alias);

}  // namespace sso::pki
