#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "base/time.hpp"
#include "pki/openssl_ptr.hpp"
#include "pki/private_key.hpp"

namespace sso::pki {

// An X.509 certificate. Copies share the underlying certificate (it is immutable).
class Certificate {
 public:
  // Exactly one certificate; any other blocks are refused.
  static Result<Certificate> from_pem(std::string_view pem);
  // One or more certificates, in order (leaf first for a chain); non-certificate blocks,
  // such as a private key in the same file, are skipped.
  static Result<std::vector<Certificate>> chain_from_pem(std::string_view pem);
  static Result<Certificate> from_der(std::string_view der);
  // Takes ownership of a certificate built inside pki/.
  explicit Certificate(X509Ptr cert) : cert_(std::move(cert)) {}

  Certificate(const Certificate& other);
  Certificate& operator=(const Certificate& other);
  Certificate(Certificate&&) noexcept = default;
  Certificate& operator=(Certificate&&) noexcept = default;
  ~Certificate() = default;

  std::string to_pem() const;
  std::string to_der() const;

  std::string subject() const;  // "CN=payments.shop.svc,O=secureservice.io" (RFC 2253)
  std::string issuer() const;
  std::string common_name() const;  // empty when there is none
  std::vector<std::string> dns_names() const;
  std::vector<std::string> uris() const;
  std::vector<std::string> ip_addresses() const;  // text form, as inet_ntop writes it
  std::string spiffe_id() const;                  // the first spiffe:// URI SAN, or empty
  std::string serial_hex() const;                 // lowercase hex, no separators, as cert-manager's status shows it
  TimePoint not_before() const;
  TimePoint not_after() const;
  bool is_ca() const;
  bool is_self_signed() const;
  std::vector<std::string> key_usages() const;           // "digitalSignature", "keyEncipherment", ...
  std::vector<std::string> extended_key_usages() const;  // "serverAuth", "clientAuth", ...
  Result<KeySpec> public_key_spec() const;
  std::string public_key_der() const;
  std::string fingerprint_sha256() const;  // "AB:CD:..." as openssl x509 -fingerprint prints it
  std::string subject_key_id_hex() const;
  std::string authority_key_id_hex() const;

  bool matches_key(const PrivateKey& key) const;
  // Names chain and the signature verifies with the issuer's public key.
  bool is_signed_by(const Certificate& issuer) const;
  bool operator==(const Certificate& other) const;

  // For pki/ internals that call OpenSSL; never stored outside this object.
  X509& native() const { return *cert_; }

 private:
  X509Ptr cert_;
};

// Concatenated PEM of each certificate, in order.
std::string to_pem(const std::vector<Certificate>& certs);

// TimePoint <-> ASN1_TIME, for pki/ internals.
TimePoint to_time_point(const ASN1_TIME& t);

}  // namespace sso::pki
