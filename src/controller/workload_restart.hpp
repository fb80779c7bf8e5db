#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"
#include "kube/label_selector.hpp"
#include "kube/resource.hpp"
#include "kube/rest_client.hpp"

// spec.tls.restartOnRenewal: many programs read their certificate once, at start, so a
// re-issued Secret reaches them only through new pods. Each re-issuance restarts the
// workloads whose pods the SecureService selects, the way `kubectl rollout restart` does: a
// pod template annotation changes, and the workload's own controller rolls its pods by its
// own strategy (maxUnavailable, partitions, PodDisruptionBudgets all hold).
namespace sso::controller {

inline constexpr const char* kCertificateRevisionAnnotation = "secureservice.io/certificate-revision";

// apps/v1 Deployments, StatefulSets and DaemonSets.
const std::vector<kube::ResourceType>& restartable_workload_types();

// The merge patch that restarts `workload` for certificate `revision`: nullopt when
// `selector` does not select its pod template's labels, or when the workload was already
// restarted for that revision (a retried restart patches nothing twice).
std::optional<nlohmann::json> restart_patch(const nlohmann::json& workload, const kube::LabelSelector& selector,
                                            int64_t revision);

// Whether the workloads must be restarted now: the Secret holds `revision` and the status
// recorded restarts for `restarted_for`. Nothing is recorded for a SecureService that issued
// its first certificate or just turned the option on: there is no older certificate running.
// Revisions differ only after an issuance (a deleted Secret starts the count again, which
// also differs).
bool restart_due(std::optional<int64_t> restarted_for, int64_t revision);

struct WorkloadRestarts {
  std::vector<std::string> restarted;  // "Deployment/api", in the order they were patched
  std::optional<Error> error;          // the first failure; what was patched before it stays
};

// Lists the namespace's workloads of each kind and patches those restart_patch picks.
WorkloadRestarts restart_selected_workloads(kube::RestClient& client, const std::string& ns,
                                            const kube::LabelSelector& selector, int64_t revision);

}  // namespace sso::controller
