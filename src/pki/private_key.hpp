#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "pki/openssl_ptr.hpp"
#include "pki/secret_bytes.hpp"

namespace sso::pki {

enum class KeyAlgorithm { kECDSA, kRSA, kEd25519 };

// What kind of key to make, with cert-manager's names and defaults: ECDSA P-256 unless
// told otherwise, RSA 2048 when RSA is asked without a size, Ed25519 has no size.
struct KeySpec {
  KeyAlgorithm algorithm = KeyAlgorithm::kECDSA;
  int size = 256;

  bool operator==(const KeySpec&) const = default;
};

// "ECDSA"/"RSA"/"Ed25519" (case-insensitive) and a size, 0 meaning the default. Refuses an
// unknown algorithm or a size the algorithm does not offer (ECDSA 256/384/521, RSA 2048/3072/4096).
Result<KeySpec> make_key_spec(std::string_view algorithm, int size = 0);

std::string_view algorithm_name(KeyAlgorithm algorithm);  // "ECDSA", "RSA", "Ed25519"
std::string describe(const KeySpec& spec);                // "ECDSA P-256", "RSA 2048", "Ed25519"
// For GoogleTest's messages.
inline void PrintTo(const KeySpec& spec, std::ostream* os) { *os << describe(spec); }

// A private key. Copies share the underlying key (it is immutable). The key leaves this type
// only as SecretBytes.
class PrivateKey {
 public:
  static Result<PrivateKey> generate(const KeySpec& spec);
  // One unencrypted private key, PKCS#8 ("PRIVATE KEY") or traditional (RSA/EC); other
  // blocks in the input are ignored, but more than one key is refused.
  static Result<PrivateKey> from_pem(std::string_view pem);

  PrivateKey(const PrivateKey& other);
  PrivateKey& operator=(const PrivateKey& other);
  PrivateKey(PrivateKey&&) noexcept = default;
  PrivateKey& operator=(PrivateKey&&) noexcept = default;
  ~PrivateKey() = default;

  // PKCS#8 PEM, as the `tls.key` of a kubernetes.io/tls Secret.
  SecretBytes to_pkcs8_pem() const;
  KeySpec spec() const { return spec_; }
  // The public half, DER SubjectPublicKeyInfo: safe to compare, print and hash.
  std::string public_key_der() const;

  // For pki/ internals that call OpenSSL; never stored outside this object.
  EVP_PKEY& native() const { return *key_; }

 private:
  PrivateKey(PKeyPtr key, KeySpec spec) : key_(std::move(key)), spec_(spec) {}
  PKeyPtr key_;
  KeySpec spec_;
};

// The KeySpec of any public or private key; fails for algorithms we do not issue.
Result<KeySpec> key_spec_of(const EVP_PKEY& key);

}  // namespace sso::pki
