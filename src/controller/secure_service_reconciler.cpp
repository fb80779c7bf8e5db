#include "controller/secure_service_reconciler.hpp"

#include <algorithm>
#include <map>

#include "controller/identity_secret.hpp"
#include "controller/object_writer.hpp"
#include "controller/owned_object.hpp"
#include "controller/workload_restart.hpp"
#include "kube/api_error.hpp"
#include "kube/resource.hpp"
#include "kube/secret_data.hpp"

namespace sso::controller {

using nlohmann::json;

namespace {

bool is_being_deleted(const json& object) {
  return object.contains("metadata") && object["metadata"].contains("deletionTimestamp");
}

bool has_annotation(const json& object, const char* key) {
  const json& metadata = object.value("metadata", json::object());
  return metadata.contains("annotations") && metadata["annotations"].is_object() &&
         metadata["annotations"].contains(key);
}

// A merge patch of the SecureService's metadata `fields`, conditional on the resourceVersion
// it was read at: a concurrent edit is a Conflict, redone from a fresh read.
Result<json> patch_metadata(kube::RestClient& client, const json& object, json fields) {
  fields["resourceVersion"] = kube::resource_version_of(object);
  return client.merge_patch(api::secure_services(), kube::namespace_of(object), kube::name_of(object),
                            json{{"metadata", std::move(fields)}});
}

bool has_finalizer(const json& object) {
  for (const auto& f : object["metadata"].value("finalizers", json::array()))
    if (f == api::kFinalizer) return true;
  return false;
}

std::chrono::nanoseconds until(TimePoint t, TimePoint now) {
  return std::max<std::chrono::nanoseconds>(std::chrono::seconds(1), t - now);
}

double epoch_seconds(TimePoint t) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

}  // namespace

std::vector<std::string> allowed_client_keys(const json& secure_service) {
  std::vector<std::string> keys;
  const std::string ns = kube::namespace_of(secure_service);
  if (!secure_service.contains("spec") || !secure_service["spec"].is_object()) return keys;
  const json& clients = secure_service["spec"].value("allowedClients", json::array());
  if (!clients.is_array()) return keys;
  for (const auto& c : clients) {
    const std::string name = kube::string_field(c, "secureService");
    if (name.empty()) continue;
    const std::string client_ns = kube::string_field(c, "namespace");
    keys.push_back(kube::object_key(client_ns.empty() ? ns : client_ns, name));
  }
  return keys;
}

// What one reconcile found and decided, gathered before the status is written.
struct SecureServiceReconciler::Outcome {
  Condition certificate{kCertificateReady, false, "Pending", "not issued yet"};
  Condition network_policy{kNetworkPolicyReady, true, "Disabled", "spec.networkPolicy.enabled is false"};
  Condition mesh{kMeshReady, true, "NoMesh", "spec.mesh.provider is None"};
  std::optional<CertificateStatus> certificate_status;
  std::optional<TimePoint> requeue_at;
  std::optional<Error> transient;  // retried with backoff after the status is written
  std::map<std::string, int> managed;

  void requeue_by(TimePoint t) { requeue_at = requeue_at ? std::min(*requeue_at, t) : t; }
  void fail(Error e) {
    if (!transient) transient = std::move(e);
  }
};

Result<kube::ReconcileResult> SecureServiceReconciler::reconcile(const std::string& key) {
  const kube::ObjectPtr cached = d_.services.get(key);
  if (!cached) {
    // Gone: its owned objects go with it (ownerReferences); the finalizer handled the rest.
    const auto [ns, name] = kube::split_object_key(key);
    d_.metrics.forget(ns, name);
    d_.metrics.forget_managed(key);
    forget_mesh(key);
    return kube::ReconcileResult{};
  }
  const json& object = *cached;
  if (is_being_deleted(object)) return finalize(object);
  if (!has_finalizer(object)) {
    SSO_RETURN_IF_ERROR(ensure_finalizer(object), "reconcile " + key);
    return kube::ReconcileResult{};  // the update brings the object back with it
  }

  auto parsed = api::parse_secure_service(object);
  if (!parsed.ok()) {
    const std::string message = parsed.error().message();
    const Condition invalid{kCertificateReady, false, "InvalidSpec", message};
    d_.events.record(object, kube::EventType::kWarning, "InvalidSpec", message);
    // Not Ready, for the alerts too: a service that was Ready must not keep saying so.
    d_.metrics.set_ready(kube::namespace_of(object), kube::name_of(object), false);
    SSO_RETURN_IF_ERROR(write_status(object, {invalid}, std::nullopt), "reconcile " + key);
    return std::move(parsed).error().add_context("reconcile " + key);  // terminal: fixed by an edit
  }
  const api::SecureService& service = *parsed;

  if (has_annotation(object, api::kRevokeAnnotation)) {
    SSO_RETURN_IF_ERROR(answer_revocation_request(service, object), "reconcile " + key);
    return kube::ReconcileResult{};  // the annotation's removal brings the object back
  }

  Outcome out;
  reconcile_identity(service, object, out);
  reconcile_policies(service, object, out);
  reconcile_trust_bundle(service, out);

  d_.metrics.set_managed(key, out.managed);
  if (out.certificate_status)
    d_.metrics.set_certificate(service.ns, service.name, epoch_seconds(out.certificate_status->not_after),
                               epoch_seconds(out.certificate_status->renewal_time));
  const std::vector<Condition> conditions = {out.certificate, out.network_policy, out.mesh};
  const bool ready = std::all_of(conditions.begin(), conditions.end(), [](const Condition& c) { return c.status; });
  d_.metrics.set_ready(service.ns, service.name, ready);
  std::string status_version;
  SSO_RETURN_IF_ERROR(write_status(object, conditions, out.certificate_status, &status_version), "reconcile " + key);
  // Our own status write is no edit of the service: what sync_mesh found stays known.
  if (!status_version.empty()) advance_mesh(key, kube::resource_version_of(object), status_version);
  if (out.transient) return std::move(*out.transient).add_context("reconcile " + key);

  kube::ReconcileResult result;
  if (out.requeue_at) result.requeue_after = until(*out.requeue_at, d_.clock.now());
  return result;
}

Status SecureServiceReconciler::ensure_finalizer(const json& object) {
  json finalizers = object["metadata"].value("finalizers", json::array());
  finalizers.push_back(std::string(api::kFinalizer));
  SSO_RETURN_IF_ERROR(patch_metadata(d_.client, object, {{"finalizers", finalizers}}), "add the finalizer");
  return {};
}

Status SecureServiceReconciler::answer_revocation_request(const api::SecureService& service, const json& object) {
  const std::string requested = kube::annotation_of(object, api::kRevokeAnnotation);
  // Answered once: a revocation, or a Warning saying why not; then the request goes.
  auto done = [&]() -> Status {
    SSO_RETURN_IF_ERROR(patch_metadata(d_.client, object, {{"annotations", {{api::kRevokeAnnotation, nullptr}}}}),
                        "remove the answered " + std::string(api::kRevokeAnnotation) + " annotation");
    return {};
  };
  auto refuse = [&](const std::string& why) -> Status {
    d_.events.record(
        object, kube::EventType::kWarning, "RevocationRefused",
        std::string(api::kRevokeAnnotation) + "=" + requested.substr(0, 40) + ": " + why + "; nothing was revoked");
    return done();
  };
  auto reason = requested.empty() ? Result<pki::RevocationReason>(pki::RevocationReason::kUnspecified)
                                  : pki::parse_revocation_reason(requested);
  if (!reason.ok()) return refuse(reason.error().message());
  if (service.ca_secret_ref)
    return refuse("the certificate is signed by your CA " + service.ca_secret_ref->ns + "/" +
                  service.ca_secret_ref->name +
                  " (spec.issuer.caSecretRef), whose CRL the operator does not keep: revoke it with that CA's "
                  "tooling and put the CRL in the CA Secret's ca.crl, which the operator publishes in the trust "
                  "bundles, re-issuing every certificate it lists");
  const kube::ObjectPtr secret = d_.secrets.get(kube::object_key(service.ns, service.tls.secret_name));
  auto cert_pem = secret ? kube::secret_value(*secret, "tls.crt") : Result<std::optional<std::string>>(std::nullopt);
  auto chain = cert_pem.ok() && *cert_pem ? pki::Certificate::chain_from_pem(**cert_pem)
                                          : Result<std::vector<pki::Certificate>>(std::vector<pki::Certificate>{});
  if (!chain.ok() || chain->empty())
    return refuse("the Secret " + service.ns + "/" + service.tls.secret_name + " holds no certificate to revoke");
  const std::string serial = chain->front().serial_hex();
  if (!d_.revoke) return failed_precondition("revoke " + serial + ": the cluster CA is not kept by this process");
  SSO_ASSIGN_OR_RETURN(const bool newly, d_.revoke(serial, *reason), "revoke certificate " + serial);
  if (newly) {
    const std::string reason_name(pki::to_string(*reason));
    d_.metrics.count_revoked(reason_name);
    d_.events.record(object, kube::EventType::kNormal, "Revoked",
                     "revoked certificate " + serial + " (" + reason_name +
                         "): the cluster CA's CRL lists it, in ca.crl of every trust bundle; a new key and "
                         "certificate follow");
  }
  return done();
}

Result<kube::ReconcileResult> SecureServiceReconciler::finalize(const json& object) {
  const std::string ns = kube::namespace_of(object);
  const std::string key = kube::object_key(object);
  if (!has_finalizer(object)) return kube::ReconcileResult{};
  // The trust bundle is shared by the namespace's SecureServices: it goes with the last one.
  bool last = true;
  for (const auto& other : d_.services.list_namespace(ns))
    if (kube::object_key(*other) != key && !is_being_deleted(*other)) last = false;
  if (last) {
    auto removed = d_.client.remove(kube::resources::config_maps(), ns, kTrustBundleName);
    if (!removed.ok() && !kube::is_not_found(removed.error()))
      return std::move(removed).error().add_context("finalize " + key + ": delete the trust bundle");
  }
  json finalizers = json::array();
  for (const auto& f : object["metadata"].value("finalizers", json::array()))
    if (f != api::kFinalizer) finalizers.push_back(f);
  auto patched = patch_metadata(d_.client, object, {{"finalizers", finalizers}});
  if (!patched.ok() && !kube::is_not_found(patched.error()))
    return std::move(patched).error().add_context("finalize " + key + ": remove the finalizer");
  d_.metrics.forget(ns, kube::name_of(object));
  d_.metrics.forget_managed(key);
  forget_mesh(key);
  return kube::ReconcileResult{};
}

void SecureServiceReconciler::reconcile_identity(const api::SecureService& service, const json& object, Outcome& out) {
  const TimePoint now = d_.clock.now();
  // The signer: the user's CA (read when needed: it is not ours to watch) or the cluster CA.
  std::shared_ptr<const ClusterCa> ca;
  if (auto problem = api::foreign_ca_problem(service)) {
    out.certificate = {kCertificateReady, false, "CrossNamespaceCA", std::move(*problem)};
    d_.events.record(object, kube::EventType::kWarning, "CrossNamespaceCA", out.certificate.message);
    return;  // fixed by an edit, which brings the next reconcile
  }
  if (service.ca_secret_ref) {
    const auto& r = *service.ca_secret_ref;
    auto secret = d_.client.get(kube::resources::secrets(), r.ns, r.name);
    Result<ClusterCa> loaded = secret.ok() ? load_ca_secret(*secret, now) : Result<ClusterCa>(secret.error());
    if (!loaded.ok()) {
      const bool missing = !secret.ok() && kube::is_not_found(secret.error());
      const bool forbidden = !secret.ok() && kube::is_forbidden(secret.error());
      if (!secret.ok() && !missing && !forbidden) {
        out.fail(secret.error());
        out.certificate = {kCertificateReady, false, "IssuerNotReady", secret.error().describe()};
        return;
      }
      const std::string why = missing     ? "does not exist"
                              : forbidden ? "cannot be read by the operator (RBAC)"
                                          : "is not a usable CA: " + loaded.error().describe();
      out.certificate = {kCertificateReady, false, "IssuerNotReady",
                         "spec.issuer.caSecretRef: the Secret " + r.ns + "/" + r.name + " " + why};
      d_.events.record(object, kube::EventType::kWarning, "IssuerNotReady", out.certificate.message);
      out.requeue_by(now + std::chrono::minutes(1));  // nothing watches the user's Secret
      return;
    }
    ca = std::make_shared<const ClusterCa>(std::move(*loaded));
    out.requeue_by(now + std::chrono::minutes(10));
  } else {
    ca = d_.cluster_ca.get();
    if (!ca) {
      out.certificate = {kCertificateReady, false, "IssuerNotReady", d_.cluster_ca.error()};
      out.requeue_by(now + std::chrono::seconds(5));
      return;
    }
  }

  auto request = api::identity_request(service, d_.settings.cluster_domain, d_.settings.trust_domain);
  if (!request.ok()) {
    out.certificate = {kCertificateReady, false, "InvalidSpec", request.error().describe()};
    return;
  }
  std::optional<pki::SecretBytes> password;
  std::string password_version;
  if (service.tls.pkcs12 && service.tls.pkcs12_password) {
    const auto& p = *service.tls.pkcs12_password;
    auto secret = d_.client.get(kube::resources::secrets(), service.ns, p.name);
    Result<std::optional<std::string>> value =
        secret.ok() ? kube::secret_value(*secret, p.key) : Result<std::optional<std::string>>(secret.error());
    if (!value.ok() || !*value || (*value)->empty()) {
      out.certificate = {kCertificateReady, false, "KeystorePasswordNotFound",
                         "spec.tls.keystores.pkcs12.passwordSecretRef: key " + p.key + " of the Secret " + service.ns +
                             "/" + p.name + " is missing or empty"};
      d_.events.record(object, kube::EventType::kWarning, "KeystorePasswordNotFound", out.certificate.message);
      out.requeue_by(now + std::chrono::minutes(1));
      return;
    }
    password = pki::SecretBytes(std::move(**value));
    password_version = kube::uid_of(*secret) + "/" + kube::resource_version_of(*secret);
  }

  const std::string secret_key = kube::object_key(service.ns, service.tls.secret_name);
  kube::ObjectPtr existing_ptr = d_.secrets.get(secret_key);
  json existing = existing_ptr ? *existing_ptr : json(nullptr);
  // Not among ours (the cache holds only what the operator labelled): almost always it does
  // not exist yet, so it is created without a GET first. AlreadyExists means someone else's
  // Secret of that name (never overwritten) or ours not yet seen by the watch: only then is
  // it read, and decided on again. A GET before every first create was one more request per
  // SecureService, answered 404.
  std::optional<IdentitySecretPlan> planned;
  for (bool read_after_conflict = false;; read_after_conflict = true) {
    if (!existing.is_null() && !is_owned_by(existing, service)) {
      out.certificate = {kCertificateReady, false, "SecretConflict",
                         "the Secret " + secret_key +
                             " exists and is not managed by this SecureService; delete it or "
                             "choose another spec.tls.secretName"};
      d_.events.record(object, kube::EventType::kWarning, "SecretConflict", out.certificate.message);
      return;
    }
    auto plan = plan_identity_secret({service, *request, *ca, existing, password, now, password_version, &key_facts_});
    if (!plan.ok()) {
      out.certificate = {kCertificateReady, false, "IssuanceFailed", plan.error().describe()};
      out.fail(std::move(plan).error().add_context("plan the identity Secret " + secret_key));
      return;
    }
    auto written = write_if_differs(d_.client, kube::resources::secrets(), existing, plan->secret);
    if (!written.ok() && existing.is_null() && !read_after_conflict && kube::is_already_exists(written.error())) {
      auto found = d_.client.get(kube::resources::secrets(), service.ns, service.tls.secret_name);
      if (found.ok()) {
        existing = std::move(*found);
        continue;
      }
      if (!kube::is_not_found(found.error())) {
        out.fail(found.error());
        return;
      }
    }
    if (!written.ok()) {
      out.certificate = {kCertificateReady, false, "SecretWriteFailed", written.error().describe()};
      out.fail(written.error());
      return;
    }
    planned = std::move(*plan);
    break;
  }
  const IdentitySecretPlan* plan = &*planned;
  out.managed["Secret"] = 1;
  const pki::Certificate& leaf = plan->chain.front();
  if (plan->issued) {
    const std::string reason(pki::to_string(plan->issued->reason));
    d_.events.record(object, kube::EventType::kNormal, "Issued",
                     "issued certificate " + leaf.serial_hex() + " (" + reason + ": " + plan->issued->message +
                         "), valid until " + format_rfc3339(leaf.not_after()));
    d_.metrics.count_issued(reason, std::string(pki::algorithm_name(service.tls.key.algorithm)));
  }
  out.certificate = {kCertificateReady, true, "Issued",
                     "certificate " + leaf.serial_hex() + " is valid until " + format_rfc3339(leaf.not_after()) +
                         "; renewal at " + format_rfc3339(plan->renewal_time)};
  out.certificate_status =
      CertificateStatus{leaf.serial_hex(),         leaf.not_before(), leaf.not_after(), plan->renewal_time,
                        leaf.fingerprint_sha256(), leaf.issuer(),     plan->revision};
  out.requeue_by(plan->renewal_time);
  if (service.tls.restart_on_renewal) restart_workloads(service, object, plan->revision, leaf.serial_hex(), out);
}

void SecureServiceReconciler::restart_workloads(const api::SecureService& service, const json& object, int64_t revision,
                                                const std::string& serial, Outcome& out) {
  // The status records the revision restarted for: written after the restarts, so a crash or
  // a failed patch in between leaves them due, and the next reconcile finishes them.
  std::optional<int64_t> restarted_for;
  const json status = object.value("status", json::object());
  if (status.is_object() && status.contains("certificate") && status["certificate"].is_object()) {
    const json& recorded = status["certificate"].value("restartedForRevision", json());
    if (recorded.is_number_integer()) restarted_for = recorded.get<int64_t>();
  }
  out.certificate_status->restarted_for_revision = restarted_for.value_or(revision);
  if (!restart_due(restarted_for, revision)) return;
  WorkloadRestarts restarts = restart_selected_workloads(d_.client, service.ns, service.selector, revision);
  std::string names;
  for (const auto& name : restarts.restarted) names += (names.empty() ? "" : ", ") + name;
  if (!restarts.restarted.empty())
    d_.events.record(object, kube::EventType::kNormal, "WorkloadsRestarted",
                     "restarted " + names + " for certificate " + serial + " (revision " + std::to_string(revision) +
                         ", spec.tls.restartOnRenewal)");
  if (restarts.error) {
    d_.events.record(object, kube::EventType::kWarning, "RestartFailed",
                     "restarting the workloads spec.selector selects for certificate revision " +
                         std::to_string(revision) + ": " + restarts.error->describe() + "; retrying");
    out.fail(std::move(*restarts.error));
    return;  // still due: the status keeps the revision restarted for before
  }
  if (restarts.restarted.empty())
    d_.events.record(object, kube::EventType::kNormal, "NoWorkloadsRestarted",
                     "certificate " + serial + " (revision " + std::to_string(revision) +
                         ") was issued and no Deployment, StatefulSet or DaemonSet of " + service.ns +
                         " has a pod template spec.selector selects");
  out.certificate_status->restarted_for_revision = revision;
}

void SecureServiceReconciler::reconcile_policies(const api::SecureService& service, const json& object, Outcome& out) {
  auto lookup = [this](const std::string& ns, const std::string& name) -> std::optional<api::SecureService> {
    const kube::ObjectPtr o = d_.services.get(kube::object_key(ns, name));
    if (!o || is_being_deleted(*o)) return std::nullopt;
    auto parsed = api::parse_secure_service(*o);
    return parsed.ok() ? std::optional<api::SecureService>(std::move(*parsed)) : std::nullopt;
  };
  std::vector<api::SecureService> resolved;  // keeps the looked-up services alive for the peers
  resolved.reserve(service.allowed_clients.size());
  const auto clients = resolve_clients(service, [&](const std::string& ns, const std::string& name) {
    auto found = lookup(ns, name);
    if (!found) return static_cast<const api::SecureService*>(nullptr);
    resolved.push_back(std::move(*found));
    return static_cast<const api::SecureService*>(&resolved.back());
  });
  std::vector<std::string> missing;
  for (const auto& peer : clients) {
    if (!peer.is_secure_service() || peer.found) continue;
    const bool watched = d_.services.covers(peer.ns);
    missing.push_back(peer.ns + "/" + peer.secure_service +
                      (watched ? "" : " (namespace " + peer.ns + " is not among those the operator watches)"));
  }

  std::vector<api::SecureService> servers;
  if (service.restrict_egress) {
    for (const auto& o : d_.services.by_index(kClientIndex, kube::object_key(service.ns, service.name))) {
      if (is_being_deleted(*o)) continue;
      auto parsed = api::parse_secure_service(*o);
      if (parsed.ok()) servers.push_back(std::move(*parsed));
    }
  }
  const auto desired = desired_policy_objects(service, clients, servers_of(service, servers), d_.settings);

  // NetworkPolicy: cached, so drift is seen at once.
  const std::string np_key = kube::object_key(service.ns, service.name);
  const kube::ObjectPtr np_existing = d_.network_policies.get(np_key);
  std::vector<json> mesh;
  for (const auto& o : desired) {
    if (o["kind"] == "NetworkPolicy") {
      auto written = write_if_differs(d_.client, kube::resources::network_policies(),
                                      np_existing ? *np_existing : json(nullptr), o);
      if (!written.ok()) {
        out.network_policy = {kNetworkPolicyReady, false, "WriteFailed", written.error().describe()};
        out.fail(written.error());
      } else {
        out.managed["NetworkPolicy"] = 1;
        out.network_policy = {kNetworkPolicyReady, true, "Applied",
                              "NetworkPolicy " + service.name + " allows " +
                                  std::to_string(clients.size() - missing.size()) +
                                  " client(s) and denies everyone else"};
      }
    } else {
      mesh.push_back(o);
    }
  }
  if (!service.network_policy_enabled && np_existing && is_owned_by(*np_existing, service)) {
    auto removed = d_.client.remove(kube::resources::network_policies(), service.ns, service.name);
    if (!removed.ok() && !kube::is_not_found(removed.error())) out.fail(removed.error());
  }
  if (!missing.empty() && out.network_policy.status) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    out.network_policy = {
        kNetworkPolicyReady, false, "ClientNotFound",
        "spec.allowedClients: no SecureService " + list + "; nothing is allowed for it until it exists"};
    d_.events.record(object, kube::EventType::kWarning, "ClientNotFound", out.network_policy.message);
  }
  if (auto s = sync_mesh(service, object, mesh, out); !s.ok()) {
    out.mesh = {kMeshReady, false, "WriteFailed", s.error().describe()};
    out.fail(s.error());
  }
}

Status SecureServiceReconciler::sync_mesh(const api::SecureService& service, const json& object,
                                          const std::vector<json>& desired, Outcome& out) {
  std::string previous_mesh_reason;
  for (const auto& c : object.value("status", json::object()).value("conditions", json::array()))
    if (c.is_object() && c.value("type", "") == kMeshReady) previous_mesh_reason = c.value("reason", "");
  const bool enabled = service.mesh != api::MeshProvider::kNone;
  const std::string provider(api::to_string(service.mesh));
  const std::vector<std::string> unenforced = unenforced_requests(service);
  // Each provider's steady reason is its own, so that a switch of provider is seen below.
  const std::string steady_reason = !unenforced.empty()
                                        ? (enabled ? provider + "PolicyPartlyApplied" : "NoMeshToEnforce")
                                    : enabled ? provider + "PolicyApplied"
                                              : "NoMesh";
  const bool may_have_left = !previous_mesh_reason.empty() && previous_mesh_reason != steady_reason;
  // What was written before, by label and owner; mesh kinds are not cached because their CRDs
  // may be absent (a watch on them would keep the operator from ever becoming ready).
  const std::string selector = std::string(api::kManagedByLabel) + "=" + std::string(api::kManagedByValue) + "," +
                               std::string(api::kNameLabel) + "=" + service.name;
  std::vector<std::string> not_installed;
  int written_count = 0;

  // Mesh kinds are not watched, so what is in place is known only by listing it: three lists
  // per reconcile with Istio, and a SecureService is reconciled several times for one change
  // (its own status write, its Secret's and NetworkPolicy's events come back). What the last
  // full sync found in place is remembered with a digest of what it wanted and the
  // SecureService's resourceVersion (moved on by our own status write only). While the
  // digest, the version and kMeshReverifyAfter hold, nothing is listed: any edit of the
  // SecureService still brings a full sync at once, and an edited or deleted mesh object is
  // still put back at a reconcile within the 10-minute resync.
  const std::string key = kube::object_key(service.ns, service.name);
  const size_t digest = std::hash<std::string>{}(provider + "\n" + json(desired).dump());
  const TimePoint now = d_.clock.now();
  {
    std::lock_guard lock(mesh_mu_);
    auto it = mesh_in_place_.find(key);
    if (it != mesh_in_place_.end() && !may_have_left && it->second.digest == digest &&
        it->second.resource_version == kube::resource_version_of(object) &&
        now - it->second.verified < kMeshReverifyAfter) {
      written_count = it->second.written;
    } else {
      if (it != mesh_in_place_.end()) mesh_in_place_.erase(it);  // until a sync succeeds again
      written_count = -1;
    }
  }
  const bool in_place = written_count >= 0;
  if (!in_place) written_count = 0;
  // Never reconciled (no MeshReady yet): nothing of this SecureService's can be there, so its
  // objects are created without listing first; AlreadyExists falls back to the list.
  const bool never_reconciled = previous_mesh_reason.empty();

  for (const auto& type : mesh_types()) {
    if (in_place) break;
    std::vector<json> want;
    for (const auto& o : desired)
      if (o["apiVersion"] == type.api_version() && o["kind"] == type.kind) want.push_back(o);
    // A provider's kinds are listed when it is the provider now, or when the last reconcile
    // did not end in this one's steady state (a switched provider, a write that failed
    // half-way, an Istio selector that got only its DestinationRule): then anything may have
    // been left. Never on every reconcile of every service.
    const bool istio_kind = type.group.ends_with("istio.io");
    const std::string kind_provider = istio_kind ? "Istio" : "Linkerd";
    if (kind_provider != provider && !may_have_left) continue;
    if (never_reconciled) {
      int created = 0;
      bool exists = false, missing_api = false;
      for (const auto& o : want) {
        auto c = d_.client.create(type, o);
        if (c.ok()) {
          ++created;
        } else if (kube::is_already_exists(c.error())) {
          exists = true;
          break;
        } else if (kube::is_not_found(c.error())) {
          missing_api = true;
          break;
        } else {
          return std::move(c).error().add_context("create " + type.kind + " " + kube::object_key(o));
        }
      }
      if (missing_api) not_installed.push_back(type.kind + " (" + type.api_version() + ")");
      if (!exists) {
        written_count += created;
        continue;
      }
    }
    auto listed = d_.client.list(type, service.ns, {.label_selector = selector});
    if (!listed.ok()) {
      if (kube::is_not_found(listed.error())) {
        if (!want.empty()) not_installed.push_back(type.kind + " (" + type.api_version() + ")");
        continue;
      }
      return listed.error();
    }
    std::map<std::string, json> have;
    for (auto& item : listed->items) {
      if (!is_owned_by(item, service)) continue;
      std::string name = kube::name_of(item);
      have.emplace(std::move(name), std::move(item));
    }
    for (const auto& o : want) {
      const std::string name = kube::name_of(o);
      auto it = have.find(name);
      SSO_RETURN_IF_ERROR(write_if_differs(d_.client, type, it == have.end() ? json(nullptr) : it->second, o));
      if (it != have.end()) have.erase(it);
      ++written_count;
    }
    for (const auto& [name, stale] : have) {
      auto removed = d_.client.remove(type, service.ns, name);
      if (!removed.ok() && !kube::is_not_found(removed.error())) return removed.error();
    }
  }
  if (!in_place && not_installed.empty()) {
    std::lock_guard lock(mesh_mu_);
    mesh_in_place_[key] = MeshInPlace{digest, now, written_count, kube::resource_version_of(object)};
  }
  if (!enabled && unenforced.empty()) return {};
  std::string unenforced_list;
  for (const auto& u : unenforced) unenforced_list += (unenforced_list.empty() ? "" : "; ") + u;
  if (!enabled) {
    out.mesh = {kMeshReady, false, steady_reason, "not applied: " + unenforced_list};
    return {};
  }
  if (!not_installed.empty()) {
    std::string list;
    for (const auto& k : not_installed) list += (list.empty() ? "" : ", ") + k;
    out.mesh = {kMeshReady, false, "MeshNotInstalled",
                provider + " is not installed in the cluster: no API for " + list +
                    "; the certificate and NetworkPolicy still apply"};
    out.requeue_by(d_.clock.now() + std::chrono::minutes(5));
    return {};
  }
  if (service.mesh == api::MeshProvider::kIstio && service.selector.match_labels.empty()) {
    // Istio selects workloads by labels only, and an empty one means the whole namespace.
    out.mesh = {kMeshReady, false, "SelectorNotSupported",
                "Istio selects workloads by matchLabels only: add matchLabels to spec.selector; until then only the "
                "DestinationRule is written"};
    return {};
  }
  out.managed[provider + "Policy"] = written_count;
  const std::string written = provider + " policy written: mTLS " + std::string(api::to_string(service.mtls_mode)) +
                              ", only the declared clients' identities may call";
  if (!unenforced.empty()) {
    out.mesh = {kMeshReady, false, steady_reason, written + "; not applied: " + unenforced_list};
    return {};
  }
  out.mesh = {kMeshReady, true, steady_reason, written};
  return {};
}

void SecureServiceReconciler::forget_mesh(const std::string& key) {
  std::lock_guard lock(mesh_mu_);
  mesh_in_place_.erase(key);
}

void SecureServiceReconciler::advance_mesh(const std::string& key, const std::string& from, const std::string& to) {
  std::lock_guard lock(mesh_mu_);
  auto it = mesh_in_place_.find(key);
  if (it != mesh_in_place_.end() && it->second.resource_version == from) it->second.resource_version = to;
}

void SecureServiceReconciler::reconcile_trust_bundle(const api::SecureService& service, Outcome& out) {
  const auto ca = d_.cluster_ca.get();
  if (!ca) return;
  const json desired = build_trust_bundle(service.ns, *ca);
  const kube::ObjectPtr existing = d_.config_maps.get(kube::object_key(service.ns, kTrustBundleName));
  auto written =
      write_if_differs(d_.client, kube::resources::config_maps(), existing ? *existing : json(nullptr), desired);
  if (!written.ok() && !kube::is_already_exists(written.error())) out.fail(written.error());
}

Status SecureServiceReconciler::write_status(const json& object, const std::vector<Condition>& conditions,
                                             const std::optional<CertificateStatus>& certificate,
                                             std::string* written_version) {
  const json current = object.value("status", json::object());
  const int64_t generation = object["metadata"].value("generation", int64_t{0});
  const json status = build_status(current, generation, conditions, certificate, d_.clock.now());
  if (status == current) return {};
  json updated = object;
  updated["status"] = status;
  updated["metadata"].erase("managedFields");
  SSO_ASSIGN_OR_RETURN(const json written, d_.client.update_status(api::secure_services(), updated),
                       "update the status");
  if (written_version) *written_version = kube::resource_version_of(written);
  return {};
}

}  // namespace sso::controller
