#include "pki/identity.hpp"

#include <arpa/inet.h>

#include <cctype>

namespace sso::pki {
namespace {

bool is_dns_label_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }

bool is_spiffe_path_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

bool is_trust_domain_char(char c) {
  return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
         c == '-' || c == '_';
}

std::string shown(std::string_view s) { return "\"" + std::string(s.substr(0, 80)) + (s.size() > 80 ? "...\"" : "\""); }

}  // namespace

std::string_view to_string(TlsMode mode) { return mode == TlsMode::kMutual ? "Mutual" : "Server"; }

std::vector<std::string> extended_key_usages_for(TlsMode mode) {
  if (mode == TlsMode::kMutual) return {"serverAuth", "clientAuth"};
  return {"serverAuth"};
}

std::vector<std::string> key_usages_for(const KeySpec& key) {
  // RSA key exchange (TLS 1.2 RSA kx) encrypts to the key; EC and Ed25519 keys only sign.
  if (key.algorithm == KeyAlgorithm::kRSA) return {"digitalSignature", "keyEncipherment"};
  return {"digitalSignature"};
}

Status validate_dns_name(std::string_view name) {
  if (name.empty()) return invalid_argument("must not be empty");
  if (name.size() > 253) return invalid_argument(shown(name) + " is longer than 253 characters");
  std::string_view rest = name;
  if (rest.substr(0, 2) == "*.") rest.remove_prefix(2);
  size_t start = 0;
  while (start <= rest.size()) {
    const size_t dot = rest.find('.', start);
    const std::string_view label =
        rest.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return invalid_argument(shown(name) + " is not a valid DNS name (RFC 1123)");
    for (char c : label)
      if (!is_dns_label_char(c)) return invalid_argument(shown(name) + " is not a valid DNS name (RFC 1123)");
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return ok_status();
}

Status validate_ip_address(std::string_view address) {
  const std::string text(address.substr(0, 64));
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1) return ok_status();
  return invalid_argument(shown(address) + " is not an IPv4 or IPv6 address");
}

Status validate_spiffe_id(std::string_view id) {
  constexpr std::string_view kScheme = "spiffe://";
  if (id.size() > 2048) return invalid_argument("SPIFFE ID is longer than 2048 bytes");
  if (id.substr(0, kScheme.size()) != kScheme) return invalid_argument(shown(id) + " does not start with spiffe://");
  std::string_view rest = id.substr(kScheme.size());
  const size_t slash = rest.find('/');
  const std::string_view trust_domain = rest.substr(0, slash);
  if (trust_domain.empty()) return invalid_argument(shown(id) + " has no trust domain");
  for (char c : trust_domain)
    if (!is_trust_domain_char(c))
      return invalid_argument(shown(id) + ": trust domain may only hold lowercase letters, digits, '.', '-' and '_'");
  if (slash == std::string_view::npos) return invalid_argument(shown(id) + " has no path identifying a workload");
  std::string_view path = rest.substr(slash);
  while (!path.empty()) {
    path.remove_prefix(1);  // the '/'
    const size_t next = path.find('/');
    const std::string_view segment = path.substr(0, next);
    if (segment.empty()) return invalid_argument(shown(id) + " has an empty path segment");
    if (segment == "." || segment == "..") return invalid_argument(shown(id) + " has a '.' or '..' path segment");
    for (char c : segment)
      if (!is_spiffe_path_char(c))
        return invalid_argument(shown(id) + ": path segments may only hold letters, digits, '.', '-' and '_'");
    if (next == std::string_view::npos) break;
    path.remove_prefix(next);
  }
  return ok_status();
}

Result<std::string> make_spiffe_id(std::string_view trust_domain, std::string_view ns,
                                   std::string_view service_account) {
  std::string id =
      "spiffe://" + std::string(trust_domain) + "/ns/" + std::string(ns) + "/sa/" + std::string(service_account);
  SSO_RETURN_IF_ERROR(validate_spiffe_id(id), "make SPIFFE ID");
  return id;
}

Status validate(const IdentityRequest& request) {
  if (request.common_name.size() > 64)
    return invalid_argument("commonName: longer than 64 bytes, the X.509 upper bound");
  if (request.dns_names.empty() && request.ip_addresses.empty() && request.spiffe_id.empty())
    return invalid_argument("dnsNames: at least one DNS name, IP address or SPIFFE ID is required");
  for (size_t i = 0; i < request.ip_addresses.size(); ++i)
    SSO_RETURN_IF_ERROR(validate_ip_address(request.ip_addresses[i]), "ipAddresses[" + std::to_string(i) + "]");
  for (size_t i = 0; i < request.dns_names.size(); ++i)
    SSO_RETURN_IF_ERROR(validate_dns_name(request.dns_names[i]), "dnsNames[" + std::to_string(i) + "]");
  if (!request.spiffe_id.empty()) SSO_RETURN_IF_ERROR(validate_spiffe_id(request.spiffe_id), "spiffeID");
  SSO_RETURN_IF_ERROR(make_key_spec(algorithm_name(request.key.algorithm), request.key.size), "privateKey");
  if (request.duration < kMinimumDuration)
    return invalid_argument("duration: " + format_duration(request.duration) + " is shorter than the minimum of " +
                            format_duration(kMinimumDuration));
  if (request.renew_before) {
    if (*request.renew_before < kMinimumRenewBefore)
      return invalid_argument("renewBefore: " + format_duration(*request.renew_before) +
                              " is shorter than the minimum of " + format_duration(kMinimumRenewBefore));
    if (*request.renew_before >= request.duration)
      return invalid_argument("renewBefore: " + format_duration(*request.renew_before) +
                              " must be less than duration " + format_duration(request.duration));
  }
  return ok_status();
}

}  // namespace sso::pki
