#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/time.hpp"
#include "pki/certificate.hpp"

namespace sso::pki {

// The CA certificates peers must trust. During a CA rotation it holds the new CA (which
// issues) and the previous ones until their overlap ends, so that leaves signed by either
// verify while workloads move to new leaves, as trust-manager bundles and Istio's
// root-cert rotation do.
class TrustBundle {
 public:
  struct Anchor {
    Certificate certificate;
    std::optional<TimePoint> retire_at;  // set on a CA that no longer issues
  };

  explicit TrustBundle(Certificate issuing_ca);

  // Makes `next` the issuing CA; every other anchor stays trusted until `overlap_end` (or
  // its own earlier retirement). Rotating to the CA that already issues changes nothing.
  void rotate_to(Certificate next, TimePoint overlap_end);

  // Drops anchors whose overlap has ended or that have expired; the issuing CA stays.
  // Returns whether anything was dropped.
  bool prune(TimePoint now);

  const Certificate& issuing_ca() const { return anchors_.front().certificate; }
  const std::vector<Anchor>& anchors() const { return anchors_; }
  std::vector<Certificate> certificates() const;
  // The issuing CA first, then the older ones: the ca.crt a workload mounts.
  std::string to_pem() const;

 private:
  std::vector<Anchor> anchors_;  // the issuing CA first
};

enum class VerifyPurpose { kServer, kClient };

// Verifies a chain (leaf first, then any intermediates) against trust anchors at `now`,
// for TLS server or client use, optionally checking the leaf against a CRL (PEM), as
// `openssl verify -purpose ... [-crl_check]` does.
Status verify_chain(const std::vector<Certificate>& chain, const std::vector<Certificate>& anchors,
                    VerifyPurpose purpose, TimePoint now, std::string_view crl_pem = {});

}  // namespace sso::pki
