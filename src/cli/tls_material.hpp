#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"
#include "pki/secret_bytes.hpp"

namespace sso::cli {

// The TLS parts of a PEM file or of a kubernetes.io/tls Secret manifest (YAML or JSON,
// `data` base64 or `stringData`).
struct TlsMaterial {
  std::string certificates_pem;  // tls.crt, or every CERTIFICATE block of a PEM file
  pki::SecretBytes key_pem;      // tls.key, or the PEM file's key; may be empty
  std::string ca_pem;            // ca.crt; may be empty
  std::string source;            // "PEM" or "Secret shop/payments-tls"
};

// Untrusted input: at most kMaxTlsInputBytes, never crashes, errors say which field.
inline constexpr size_t kMaxTlsInputBytes = 4 << 20;
Result<TlsMaterial> read_tls_material(std::string_view input);

}  // namespace sso::cli
