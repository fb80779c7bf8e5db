#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/secure_service.hpp"
#include "base/result.hpp"
#include "kube/label_selector.hpp"
#include "webhook/verdict.hpp"

// The pod rule of the validating webhook (issue #6): a pod that a SecureService selects must
// carry that service's identity (its Secret, mounted read-only where the service says) and run
// under its ServiceAccount, so that no other workload can wear the identity. Pure: the caller
// gathers the pod and the SecureServices of its namespace, and decides exempt namespaces.
namespace sso::webhook {

// Reasons (secureservice_admission_decisions_total{reason}); the first failing check's wins.
inline constexpr std::string_view kReasonMissingVolume = "MissingVolume";
inline constexpr std::string_view kReasonMissingMount = "MissingMount";
inline constexpr std::string_view kReasonWrongMountPath = "WrongMountPath";
inline constexpr std::string_view kReasonWritableMount = "WritableMount";
inline constexpr std::string_view kReasonWrongServiceAccount = "WrongServiceAccount";
inline constexpr std::string_view kReasonUnidentified = "Unidentified";
inline constexpr std::string_view kReasonCompliant = "Compliant";
inline constexpr std::string_view kReasonNotSelected = "NotSelected";
inline constexpr std::string_view kReasonAudited = "Audited";  // allowed with warnings (Audit mode)
inline constexpr std::string_view kReasonAdmissionDisabled =
    "AdmissionDisabled";  // selected only by mode Disabled ones

enum class ContainerKind { kRegular, kInit, kEphemeral };

struct VolumeMount {
  std::string name;
  std::string mount_path;
  bool read_only = false;
  std::string sub_path;
  std::string sub_path_expr;
  bool mounts_whole_volume() const { return sub_path.empty() && sub_path_expr.empty(); }
};

struct Container {
  std::string name;
  ContainerKind kind = ContainerKind::kRegular;
  bool restart_always = false;  // an init container with restartPolicy: Always (a native sidecar)
  std::vector<VolumeMount> mounts;
};

struct Volume {
  std::string name;
  // The Secrets the volume shows: secret.secretName, or each projected sources[].secret.name.
  std::vector<std::string> secret_names;
};

struct Pod {
  std::string name;
  std::string generate_name;
  std::string ns;
  kube::Labels labels;
  std::string service_account_name;  // as written: empty when unset (the pod then runs as "default")
  std::vector<Volume> volumes;
  std::vector<Container> containers;  // spec.containers, then spec.initContainers, then spec.ephemeralContainers

  // metadata.name, else generateName + "<generated>" (a Deployment's pods are created from generateName).
  std::string display_name() const;
  // The ServiceAccount the pod runs as: kube-apiserver's ServiceAccount admission plugin sets
  // "default" when spec.serviceAccountName is unset.
  std::string effective_service_account() const;
};

// Reads a Pod object (metadata and the parts of spec the rule looks at). Absent and null
// fields are empty; a field of the wrong type is kInvalidArgument naming it
// ("spec.containers[0].volumeMounts[1].readOnly: must be a boolean"). Never throws.
Result<Pod> parse_pod(const nlohmann::json& object);

// A namespace with this label set to "strict" admits no pod that no SecureService selects.
inline constexpr const char* kEnforcementLabel = "secureservice.io/enforcement";

struct NamespacePolicy {
  bool strict = false;  // labelled secureservice.io/enforcement: strict (kEnforcementLabel)
};

// The policy a namespace's labels ask for: the webhook reads them from its informer, `check`
// from the Namespaces of its input.
NamespacePolicy namespace_policy(const kube::Labels& labels);

// One thing a pod lacks for a SecureService's identity: a reason and the text saying what is
// missing and the YAML that fixes it ("container \"app\": add to volumeMounts: {...}").
struct PodViolation {
  std::string reason;
  std::string text;
  bool operator==(const PodViolation&) const = default;
};

// Everything `pod` lacks to carry `service`'s identity, in check order (volume, mounts of
// spec.containers, mounts of init and ephemeral containers, ServiceAccount); empty when it
// complies. Does not look at the selector or the admission mode.
std::vector<PodViolation> check_pod_identity(const Pod& pod, const api::SecureService& service);

// The decision for a pod, given every SecureService of its namespace: each one whose selector
// matches the pod's labels and whose admission mode is not Disabled is checked; an Enforce one that
// finds problems denies (the message names it and lists the fixes), an Audit one warns (one
// warning per problem, each prefixed with the SecureService). A strict namespace refuses a pod
// that no SecureService selects.
Verdict decide_pod(const Pod& pod, const std::vector<const api::SecureService*>& services_in_namespace,
                   const NamespacePolicy& ns);

}  // namespace sso::webhook
