#include "controller/ca_reconciler.hpp"

#include "kube/api_error.hpp"
#include "kube/resource.hpp"

namespace sso::controller {

using nlohmann::json;

Result<kube::ReconcileResult> CaReconciler::reconcile(const std::string& /*key*/) {
  const TimePoint now = d_.clock.now();
  const kube::ObjectPtr cached = d_.secrets.get(kube::object_key(ns_, name_));
  json current = cached ? *cached : json(nullptr);
  if (current.is_null() && !last_loaded_.is_null()) {
    json restored = {{"apiVersion", "v1"},
                     {"kind", "Secret"},
                     {"type", last_loaded_.value("type", "")},
                     {"metadata", {{"name", name_}, {"namespace", ns_}}},
                     {"data", last_loaded_.value("data", json::object())}};
    for (const char* field : {"labels", "annotations"})
      if (last_loaded_["metadata"].contains(field)) restored["metadata"][field] = last_loaded_["metadata"][field];
    auto created = d_.client.create(kube::resources::secrets(), restored);
    if (!created.ok() && kube::is_already_exists(created.error())) return kube::ReconcileResult{.requeue = true};
    SSO_RETURN_IF_ERROR(created, "put back the deleted cluster CA Secret " + ns_ + "/" + name_);
    d_.events.record(*created, kube::EventType::kWarning, "CARestored",
                     "the cluster CA Secret was deleted; put back from the CA the operator holds, so that no "
                     "certificate changes (to replace the CA, annotate it secureservice.io/rotate=now)");
    current = std::move(*created);
  }
  auto step = next_ca_secret_step(current, ns_, name_, options_, now);
  if (!step.ok()) {
    // A broken CA is reported, never replaced: every workload trusts it.
    d_.source.set_error("the cluster CA Secret " + ns_ + "/" + name_ + " is unusable: " + step.error().describe());
    if (cached) d_.events.record(current, kube::EventType::kWarning, "CAInvalid", d_.source.error());
    return failed_precondition(d_.source.error());
  }
  json written = current;
  if (step->secret) {
    if (current.is_null()) {
      auto created = d_.client.create(kube::resources::secrets(), *step->secret);
      if (!created.ok() && kube::is_already_exists(created.error())) return kube::ReconcileResult{.requeue = true};
      SSO_RETURN_IF_ERROR(created, "create the cluster CA Secret " + ns_ + "/" + name_);
      written = *created;
    } else {
      SSO_ASSIGN_OR_RETURN(written, d_.client.update(kube::resources::secrets(), *step->secret),
                           "update the cluster CA Secret " + ns_ + "/" + name_);
    }
    d_.events.record(written, kube::EventType::kNormal, step->reason, step->message);
  }
  SSO_ASSIGN_OR_RETURN(auto loaded, load_ca_secret(written, now), "load the cluster CA " + ns_ + "/" + name_);
  last_loaded_ = written;
  d_.metrics.set_ca_expiration(ns_ + "/" + name_,
                               static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                                       loaded.issuer.certificate().not_after().time_since_epoch())
                                                       .count()));
  if (d_.source.set(std::make_shared<const ClusterCa>(std::move(loaded))) && d_.on_change) d_.on_change();
  kube::ReconcileResult result;
  if (step->next_check)
    result.requeue_after = std::max<std::chrono::nanoseconds>(std::chrono::seconds(1), *step->next_check - now);
  return result;
}

Result<bool> CaReconciler::revoke(const std::string& serial, pki::RevocationReason reason) {
  const TimePoint now = d_.clock.now();
  // From the informer (no get is granted on the CA Secret): a stale copy makes the update a
  // Conflict, retried by the caller.
  const kube::ObjectPtr current = d_.secrets.get(kube::object_key(ns_, name_));
  if (!current)
    return unavailable("revoke " + serial + ": the cluster CA Secret " + ns_ + "/" + name_ + " is not loaded yet");
  SSO_ASSIGN_OR_RETURN(const CaSecretStep step, revoke_in_ca_secret(*current, serial, reason, options_, now));
  if (!step.secret) return false;
  SSO_ASSIGN_OR_RETURN(const json written, d_.client.update(kube::resources::secrets(), *step.secret),
                       "revoke " + serial + ": update the cluster CA Secret " + ns_ + "/" + name_);
  d_.events.record(written, kube::EventType::kNormal, step.reason, step.message);
  SSO_ASSIGN_OR_RETURN(auto loaded, load_ca_secret(written, now), "load the cluster CA " + ns_ + "/" + name_);
  if (d_.source.set(std::make_shared<const ClusterCa>(std::move(loaded))) && d_.on_change) d_.on_change();
  return true;
}

}  // namespace sso::controller
