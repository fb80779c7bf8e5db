#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "base/time.hpp"

namespace sso::pki {

// What `cert inspect` shows about a certificate (the leaf of a chain) and, when given, its key.
struct Inspection {
  std::string subject;
  std::string common_name;
  std::vector<std::string> dns_names;
  std::vector<std::string> uris;
  std::string spiffe_id;
  std::string issuer;
  std::string serial_hex;
  TimePoint not_before;
  TimePoint not_after;
  TimePoint renewal_time;  // cert-manager's default: a third of the lifetime before notAfter
  std::string fingerprint_sha256;
  std::string public_key;  // "ECDSA P-256"
  std::vector<std::string> key_usages;
  std::vector<std::string> extended_key_usages;
  bool is_ca = false;
  size_t chain_length = 0;
  std::optional<bool> key_matches;  // nullopt when no key was given
  std::optional<std::string> key_algorithm;
};

// Inspects PEM text holding a certificate chain (leaf first) and, optionally, its key in
// `key_pem` or in the same text. Untrusted input: bounded, never crashes.
Result<Inspection> inspect_pem(std::string_view certificates_pem, std::string_view key_pem = {});

}  // namespace sso::pki
