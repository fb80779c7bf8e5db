#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/time.hpp"

namespace sso::controller {

inline constexpr const char* kReady = "Ready";
inline constexpr const char* kCertificateReady = "CertificateReady";
inline constexpr const char* kNetworkPolicyReady = "NetworkPolicyReady";
inline constexpr const char* kMeshReady = "MeshReady";

// A metav1.Condition, as the controller decides it.
struct Condition {
  std::string type;
  bool status = false;
  std::string reason;  // CamelCase
  std::string message;
};

// status.certificate
struct CertificateStatus {
  std::string serial_number;
  TimePoint not_before;
  TimePoint not_after;
  TimePoint renewal_time;
  std::string fingerprint_sha256;
  std::string issuer;
  int64_t revision = 0;
  std::optional<int64_t> restarted_for_revision;  // with spec.tls.restartOnRenewal only
};

// The new status: Kubernetes condition conventions (metav1.Condition; meta.SetStatusCondition):
// lastTransitionTime changes only when a condition's status does; observedGeneration on each
// condition and on the status. Ready is True only when every other condition is, and then
// carries reason "Ready"; otherwise the first failing condition's reason and message.
nlohmann::json build_status(const nlohmann::json& current_status, int64_t generation,
                            const std::vector<Condition>& conditions,
                            const std::optional<CertificateStatus>& certificate, TimePoint now);

}  // namespace sso::controller
