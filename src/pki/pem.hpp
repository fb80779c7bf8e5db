#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace sso::pki {

// One "-----BEGIN LABEL----- ... -----END LABEL-----" block, as found in the input.
struct PemBlock {
  std::string label;      // "CERTIFICATE", "PRIVATE KEY", ...
  std::string_view text;  // the whole block, BEGIN and END lines included
  std::string der;        // the decoded body
};

// Bounds on untrusted PEM, in the manner of cert-manager's internal/pem: a Secret holds at
// most 1 MiB, and no real chain or key comes close to these.
inline constexpr size_t kMaxPemInputBytes = 1 << 20;
inline constexpr size_t kMaxPemBlocks = 64;
inline constexpr size_t kMaxPemBlockBytes = 64 << 10;

// Splits PEM text into its blocks; text between blocks is ignored, as openssl does.
// Fails on input over the bounds, an unterminated block, a mismatched END label, a body
// that is not base64, or (for keys) PEM encryption headers.
Result<std::vector<PemBlock>> decode_pem_blocks(std::string_view input);

bool is_private_key_label(std::string_view label);

}  // namespace sso::pki
