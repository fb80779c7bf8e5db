#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "pki/certificate.hpp"
#include "pki/private_key.hpp"

namespace sso::pki {

// Mutual: the certificate serves and is presented as a client (serverAuth + clientAuth).
// Server: it only serves (serverAuth).
enum class TlsMode { kMutual, kServer };

// cert-manager's bounds: a certificate lives at least an hour and renews at least five
// minutes before it expires.
inline constexpr std::chrono::seconds kMinimumDuration = std::chrono::hours(1);
inline constexpr std::chrono::seconds kMinimumRenewBefore = std::chrono::minutes(5);
// notBefore is set this far in the past so that peers with a slow clock accept a new leaf.
inline constexpr std::chrono::seconds kClockSkewAllowance = std::chrono::minutes(5);

// What a leaf certificate must say about its workload.
struct IdentityRequest {
  std::string common_name;                // optional; at most 64 bytes
  std::vector<std::string> dns_names;     // DNS SANs, a leading "*." allowed
  std::vector<std::string> ip_addresses;  // IP SANs, IPv4 or IPv6 text ("127.0.0.1", "::1")
  std::string spiffe_id;                  // optional URI SAN: spiffe://TRUST_DOMAIN/ns/NS/sa/SA
  TlsMode mode = TlsMode::kMutual;
  KeySpec key;
  std::chrono::seconds duration = std::chrono::hours(2160);
  std::optional<std::chrono::seconds> renew_before;  // default: a third of the lifetime
};

// Checks the request field by field; the error names the field: "dnsNames[2]: ...".
Status validate(const IdentityRequest& request);

// spiffe://TRUST_DOMAIN/ns/NAMESPACE/sa/SERVICE_ACCOUNT, checked against the SPIFFE ID spec.
Result<std::string> make_spiffe_id(std::string_view trust_domain, std::string_view ns,
                                   std::string_view service_account);
// The SPIFFE ID spec (spiffe/standards SPIFFE-ID.md): lowercase trust domain of
// [a-z0-9._-], path segments of [a-zA-Z0-9._-], none empty, "." or "..", at most 2048 bytes.
Status validate_spiffe_id(std::string_view id);
// RFC 1123 subdomain, as Kubernetes and X.509 DNS SANs need it; "*." prefix allowed.
Status validate_dns_name(std::string_view name);
// An IPv4 or IPv6 address in text form.
Status validate_ip_address(std::string_view address);

std::string_view to_string(TlsMode mode);  // "Mutual", "Server"
std::vector<std::string> extended_key_usages_for(TlsMode mode);
std::vector<std::string> key_usages_for(const KeySpec& key);

// A minted identity: its key and its chain, leaf first (intermediates follow when the CA is
// not a root).
struct Identity {
  PrivateKey key;
  std::vector<Certificate> chain;

  const Certificate& leaf() const { return chain.front(); }
  std::string chain_pem() const { return to_pem(chain); }
};

}  // namespace sso::pki
