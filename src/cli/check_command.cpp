#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <set>

#include "api/secure_service.hpp"
#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "cli/manifest_files.hpp"
#include "cli/usage.hpp"
#include "kube/label_selector.hpp"
#include "kube/manifest_yaml.hpp"
#include "kube/resource.hpp"
#include "webhook/pod_policy.hpp"

// `check`: the pod webhook's decision, offline, for CI (as `kyverno apply` runs policies on
// manifests). The verdict comes from webhook::decide_pod, so the text is what the API server
// would answer.
namespace sso::cli {
namespace {

using nlohmann::json;

constexpr const char* kCommand = "check";

std::string group_of(const json& object) {
  const std::string api_version = kube::string_field(object, "apiVersion");
  const auto slash = api_version.find('/');
  return slash == std::string::npos ? "" : api_version.substr(0, slash);
}

bool is_kind(const json& object, std::string_view group, std::string_view kind) {
  return kube::string_field(object, "kind") == kind && group_of(object) == group;
}

std::string namespace_or(const json& object, const std::string& default_ns) {
  const std::string ns = kube::namespace_of(object);
  return ns.empty() ? default_ns : ns;
}

// What the webhook would see in the cluster: the SecureServices, by namespace, and which
// namespaces are strict.
struct Policies {
  std::map<std::string, std::vector<api::SecureService>> services;  // by namespace
  std::set<std::string> strict_namespaces;
  bool all_strict = false;

  std::vector<const api::SecureService*> in_namespace(const std::string& ns) const {
    std::vector<const api::SecureService*> out;
    if (auto it = services.find(ns); it != services.end())
      for (const auto& s : it->second) out.push_back(&s);
    return out;
  }
};

// The SecureServices (parsed and defaulted as the API server would) and Namespaces of the -f
// input; other kinds are skipped.
Result<Policies> read_policies(const std::vector<ManifestObject>& sources, const std::string& default_ns) {
  Policies policies;
  bool any_namespace = false;
  for (const auto& source : sources) {
    if (!is_kind(source.object, "", "Namespace")) continue;
    any_namespace = true;
    if (webhook::namespace_policy(kube::labels_of(source.object)).strict)
      policies.strict_namespaces.insert(kube::name_of(source.object));
  }
  SSO_ASSIGN_OR_RETURN(auto services, read_secure_services(sources, default_ns));
  if (services.empty() && !any_namespace) return invalid_argument("no SecureService or Namespace in the -f input");
  for (auto& input : services) policies.services[input.service.ns].push_back(std::move(input.service));
  return policies;
}

// A pod to check, and how the output names it ("pod shop/web", "deployment shop/web").
struct Candidate {
  std::string display;
  webhook::Pod pod;
};

// Where a workload keeps the template of its pods (Kyverno's auto-gen rules check the same).
std::optional<std::vector<const char*>> template_path(const json& object) {
  if (is_kind(object, "", "Pod")) return std::vector<const char*>{};
  for (const char* kind : {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})
    if (is_kind(object, "apps", kind)) return std::vector<const char*>{"spec", "template"};
  if (is_kind(object, "batch", "Job") || is_kind(object, "", "ReplicationController"))
    return std::vector<const char*>{"spec", "template"};
  if (is_kind(object, "batch", "CronJob")) return std::vector<const char*>{"spec", "jobTemplate", "spec", "template"};
  return std::nullopt;
}

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The pod of a Pod, or of a workload's template (named from generateName, as its controller
// names the pods it creates); nullopt for other kinds.
Result<std::optional<Candidate>> candidate_of(const ManifestObject& source, const std::string& default_ns) {
  const auto path = template_path(source.object);
  if (!path) return std::optional<Candidate>();
  const std::string kind = lowercase(kube::string_field(source.object, "kind"));
  const std::string ns = namespace_or(source.object, default_ns);
  const std::string name = kube::name_of(source.object);

  const std::string who =
      std::string(source.where).append(": ").append(kind).append(" ").append(kube::object_key(ns, name));
  json pod_object = source.object;
  std::string field;
  if (!path->empty()) {
    const json* at = &source.object;
    for (const char* step : *path) {
      field += (field.empty() ? "" : ".") + std::string(step);
      if (!at->contains(step) || !(*at)[step].is_object())
        return invalid_argument(std::string(who).append(": ").append(field).append(": Required value: a pod template"));
      at = &(*at)[step];
    }
    pod_object = json::object();
    if (at->contains("metadata")) pod_object["metadata"] = (*at)["metadata"];
    if (at->contains("spec")) pod_object["spec"] = (*at)["spec"];
  }
  auto pod = webhook::parse_pod(pod_object);
  if (!pod.ok()) return invalid_argument(who + ": " + (field.empty() ? "" : field + ".") + pod.error().message());
  pod->ns = ns;
  if (!path->empty()) {
    pod->name.clear();
    pod->generate_name = name + "-";
  }
  const std::string display = kind + " " + kube::object_key(ns, path->empty() ? pod->display_name() : name);
  return std::optional<Candidate>(Candidate{display, std::move(*pod)});
}

int input_error(CommandContext& ctx, const std::string& message) {
  ctx.err << "secureservice-operator " << kCommand << ": " << message << "\n";
  return kExitUsage;
}

}  // namespace

int run_check(const std::vector<std::string>& args, CommandContext& ctx) {
  std::vector<std::string> policy_files;
  std::string default_ns = "default";
  bool all_strict = false;
  FlagSet flags(kCommand, "POD_FILE...",
                "Decides, offline, what the pod admission webhook would answer for the pods in POD_FILE (a\n"
                "file, a directory of them, or - for stdin): Pods, and the pod templates of Deployments,\n"
                "StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs and CronJobs; other kinds\n"
                "are skipped. The SecureServices, and Namespaces (a label secureservice.io/enforcement: strict\n"
                "makes a namespace strict), come from -f. Prints 'KIND NAMESPACE/NAME: admitted' or\n"
                "'...: denied: MESSAGE' per pod and Audit warnings as 'Warning: TEXT' on stderr.\n"
                "Exit code: 0 all admitted, 1 some denied, 2 bad usage or input.");
  flags.add_string_list("filename", 'f', &policy_files,
                        "SecureServices and Namespaces: a file, a directory of them, or - for stdin (repeatable)");
  flags.add_string("namespace", 'n', &default_ns, "the namespace of objects that name none");
  flags.add_bool("strict", &all_strict, "treat every namespace as labelled secureservice.io/enforcement: strict");
  // Any number of POD_FILEs: parse_or_exit_code takes an exact count, so its start is inlined.
  auto positional = flags.parse(args);
  if (!positional.ok()) return usage_error(ctx, kCommand, positional.error().describe());
  if (flags.help_requested()) {
    ctx.out << flags.usage();
    return kExitOk;
  }
  if (policy_files.empty()) return usage_error(ctx, kCommand, "-f FILE (the SecureServices) is required");
  if (positional->empty()) return usage_error(ctx, kCommand, "POD_FILE is required");

  std::optional<std::string> stdin_text;
  auto policy_sources = read_manifest_files(policy_files, ctx.in, stdin_text);
  if (!policy_sources.ok()) return input_error(ctx, policy_sources.error().describe());
  auto policies = read_policies(*policy_sources, default_ns);
  if (!policies.ok()) return input_error(ctx, policies.error().describe());
  policies->all_strict = all_strict;

  auto pod_sources = read_manifest_files(*positional, ctx.in, stdin_text);
  if (!pod_sources.ok()) return input_error(ctx, pod_sources.error().describe());
  std::vector<Candidate> candidates;
  for (const auto& source : *pod_sources) {
    auto candidate = candidate_of(source, default_ns);
    if (!candidate.ok()) return input_error(ctx, candidate.error().describe());
    if (*candidate) candidates.push_back(std::move(**candidate));
  }
  if (candidates.empty()) return input_error(ctx, "no Pod or workload with a pod template in the POD_FILEs");

  bool any_denied = false;
  for (const auto& candidate : candidates) {
    const std::string& ns = candidate.pod.ns;
    const webhook::NamespacePolicy ns_policy{.strict =
                                                 policies->all_strict || policies->strict_namespaces.contains(ns)};
    const webhook::Verdict verdict = webhook::decide_pod(candidate.pod, policies->in_namespace(ns), ns_policy);
    if (verdict.allowed) {
      ctx.out << candidate.display << ": admitted\n";
    } else {
      any_denied = true;
      ctx.out << candidate.display << ": denied: " << verdict.message << "\n";
    }
    ctx.out.flush();
    for (const auto& warning : verdict.warnings) ctx.err << "Warning: " << warning << "\n";
  }
  return any_denied ? kExitFailure : kExitOk;
}

}  // namespace sso::cli
