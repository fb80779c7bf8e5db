#include "webhook/admission_handlers.hpp"

#include <algorithm>

#include "api/secure_service.hpp"
#include "kube/label_selector.hpp"
#include "webhook/pod_policy.hpp"
#include "webhook/secure_service_policy.hpp"
#include "webhook/verdict.hpp"

namespace sso::webhook {

namespace {

AdmissionResponse answer(const AdmissionRequest& request, Verdict verdict) {
  if (verdict.allowed) return allow(request, std::move(verdict.reason), std::move(verdict.warnings));
  AdmissionResponse response = deny(request, std::move(verdict.reason), std::move(verdict.message));
  response.warnings = std::move(verdict.warnings);
  return response;
}

// controller-runtime's admission.Errored(http.StatusBadRequest, err): the request is not one
// this webhook can judge.
AdmissionResponse bad_request(const AdmissionRequest& request, std::string message) {
  AdmissionResponse response = deny(request, "BadRequest", std::move(message));
  response.code = 400;
  response.status_reason = "BadRequest";
  return response;
}

AdmissionResponse not_ready(const AdmissionRequest& request) {
  AdmissionResponse response =
      deny(request, "NotReady",
           "the secureservice-operator webhook has not loaded its SecureServices yet; retry in a few seconds");
  response.code = 503;
  response.status_reason = "ServiceUnavailable";
  return response;
}

std::string describe_kind(const AdmissionRequest& request) {
  std::string gvk = request.kind.group.empty() ? request.kind.version : request.kind.group + "/" + request.kind.version;
  std::string resource = request.resource.resource;
  if (!request.sub_resource.empty()) resource += "/" + request.sub_resource;
  return gvk + " " + request.kind.kind + " (resource " + resource + ")";
}

std::vector<const api::SecureService*> pointers(const ServiceList& list) {
  std::vector<const api::SecureService*> out;
  out.reserve(list.size());
  for (const auto& s : list) out.push_back(s.get());
  return out;
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// An UPDATE is refused only for what it breaks: an object that already broke a rule before
// it (created before its SecureService, or before the webhook was installed) may still have
// its labels, annotations or finalizers edited, with the problem as a warning. Otherwise a
// controller's routine metadata write on a legacy pod would fail (Kyverno and Gatekeeper
// audit such objects rather than block their updates).
// The old object is decided only when the new one is refused: only then can it matter.
template <typename Decide>
AdmissionResponse answer_update(const AdmissionRequest& request, Verdict now, const Decide& decide) {
  if (now.allowed) return answer(request, std::move(now));
  auto before = decide(request.old_object);
  if (!before.ok() || before->allowed || before->message != now.message) return answer(request, std::move(now));
  Verdict kept;
  kept.reason = "PreExisting";
  kept.warnings = std::move(now.warnings);
  kept.warnings.push_back("already so before this update: " + now.message);
  return answer(request, std::move(kept));
}

}  // namespace

AdmissionResponse AdmissionHandlers::validate_pod(const AdmissionRequest& request) const {
  if (!request.kind.group.empty() || request.kind.kind != "Pod" || request.resource.resource != "pods" ||
      !request.sub_resource.empty())
    return bad_request(request, "this webhook validates v1 Pods (resource pods), got " + describe_kind(request));
  if (request.operation != "CREATE" && request.operation != "UPDATE") return allow(request, "NotApplicable");
  if (contains(options_.exempt_namespaces, request.ns)) return allow(request, "ExemptNamespace");
  if (!synced_()) return not_ready(request);

  auto decide = [&](const nlohmann::json& object) -> Result<Verdict> {
    SSO_ASSIGN_OR_RETURN(Pod pod, parse_pod(object));
    if (pod.ns.empty()) pod.ns = request.ns;
    const auto services = services_.in_namespace(request.ns);
    return decide_pod(pod, pointers(*services), namespace_policy(namespace_labels_(request.ns)));
  };
  auto verdict = decide(request.object);
  if (!verdict.ok()) return bad_request(request, "request.object: " + verdict.error().describe());
  if (request.operation == "UPDATE") {
    // A pod on its way out (its finalizers being removed) is never held back.
    if (request.object.is_object() && request.object.contains("metadata") && request.object["metadata"].is_object() &&
        request.object["metadata"].contains("deletionTimestamp"))
      return allow(request, "Terminating");
    return answer_update(request, std::move(*verdict), decide);
  }
  return answer(request, std::move(*verdict));
}

AdmissionResponse AdmissionHandlers::validate_secure_service(const AdmissionRequest& request) const {
  if (request.kind.group != api::kGroup || request.kind.kind != api::kKind ||
      request.resource.resource != "secureservices" || !request.sub_resource.empty())
    return bad_request(request, "this webhook validates " + std::string(api::kApiVersion) +
                                    " SecureServices (resource secureservices), got " + describe_kind(request));
  if (request.operation != "CREATE" && request.operation != "UPDATE") return allow(request, "NotApplicable");
  if (!synced_()) return not_ready(request);

  const SecureServiceRules rules{.watched_namespaces = options_.watched_namespaces};
  auto decide = [&](const nlohmann::json& object) -> Result<Verdict> {
    SSO_ASSIGN_OR_RETURN(api::SecureService candidate, api::parse_secure_service(object));
    if (candidate.ns.empty()) candidate.ns = request.ns;
    const auto services = services_.in_namespace(request.ns);
    return decide_secure_service(candidate, pointers(*services), rules);
  };
  auto verdict = decide(request.object);
  if (!verdict.ok()) return bad_request(request, "request.object: " + verdict.error().describe());
  if (request.operation == "UPDATE") return answer_update(request, std::move(*verdict), decide);
  return answer(request, std::move(*verdict));
}

}  // namespace sso::webhook
