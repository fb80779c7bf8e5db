#include "controller/webhook_certificate.hpp"

#include <algorithm>

#include "api/secure_service.hpp"
#include "base/base64.hpp"
#include "kube/api_error.hpp"
#include "kube/resource.hpp"
#include "kube/secret_data.hpp"

namespace sso::controller {

using nlohmann::json;

namespace {

constexpr const char* kTlsSecretType = "kubernetes.io/tls";

json serving_secret(const WebhookCertificateOptions& options, const std::string& chain_pem, std::string_view key_pem,
                    const std::string& bundle_pem) {
  return json{{"apiVersion", "v1"},
              {"kind", "Secret"},
              {"metadata",
               {{"name", options.secret_name},
                {"namespace", options.service_namespace},
                {"labels", {{std::string(api::kManagedByLabel), std::string(api::kManagedByValue)}}}}},
              {"type", kTlsSecretType},
              {"data",
               {{"tls.crt", base64_encode(chain_pem)},
                {"tls.key", base64_encode(key_pem)},
                {"ca.crt", base64_encode(bundle_pem)}}}};
}

}  // namespace

pki::IdentityRequest webhook_identity_request(const WebhookCertificateOptions& options) {
  const std::string svc = options.service_name + "." + options.service_namespace + ".svc";
  pki::IdentityRequest request;
  request.common_name = svc;
  request.dns_names = {options.service_name, options.service_name + "." + options.service_namespace, svc,
                       svc + "." + options.cluster_domain};
  request.mode = pki::TlsMode::kServer;
  request.duration = std::chrono::hours(2160);
  return request;
}

Result<WebhookSecretPlan> plan_webhook_secret(const json& existing, const ClusterCa& ca,
                                              const WebhookCertificateOptions& options, TimePoint now) {
  const pki::IdentityRequest request = webhook_identity_request(options);
  SSO_RETURN_IF_ERROR(pki::validate(request), "the webhook's certificate request");
  std::optional<std::string> cert_pem, key_pem;
  if (!existing.is_null()) {
    // Undecodable data is as good as none: the decision below re-issues.
    if (auto v = kube::secret_value(existing, "tls.crt"); v.ok()) cert_pem = *v;
    if (auto v = kube::secret_value(existing, "tls.key"); v.ok()) key_pem = *v;
  }
  const pki::HeldIdentity held = pki::read_held_identity(cert_pem, key_pem);
  auto decision = pki::decide_reissue(pki::HeldRenewalInput{
      .held = held, .request = request, .issuing_ca = ca.issuer.certificate(), .trusted_cas = ca.trusted, .now = now});
  WebhookSecretPlan plan;
  if (!decision) {
    plan.renewal_time = pki::renewal_time(held.chain.front(), request.renew_before);
    json desired = serving_secret(options, *cert_pem, *key_pem, ca.bundle_pem);
    // Only the bundle may have moved (a rotation staged or retired): keep the identity.
    if (existing.value("type", "") != kTlsSecretType || existing.value("data", json::object()) != desired["data"] ||
        kube::labels_of(existing).count(std::string(api::kManagedByLabel)) == 0)
      plan.secret = std::move(desired);
    return plan;
  }
  SSO_ASSIGN_OR_RETURN(auto identity, ca.issuer.issue(request, now), "issue the webhook's serving certificate");
  plan.renewal_time = pki::renewal_time(identity.leaf(), request.renew_before);
  plan.secret = serving_secret(options, identity.chain_pem(), identity.key.to_pkcs8_pem().reveal(), ca.bundle_pem);
  plan.issued = std::move(decision);
  return plan;
}

std::optional<json> with_ca_bundle(const json& config, const std::string& bundle_pem) {
  if (!config.is_object() || !config.contains("webhooks") || !config["webhooks"].is_array()) return std::nullopt;
  const std::string encoded = base64_encode(bundle_pem);
  json updated = config;
  bool changed = false;
  for (auto& webhook : updated["webhooks"]) {
    if (!webhook.is_object()) continue;
    json& client = webhook["clientConfig"];
    if (!client.is_object()) client = json::object();
    if (client.value("caBundle", "") == encoded) continue;
    client["caBundle"] = encoded;
    changed = true;
  }
  if (!changed) return std::nullopt;
  return updated;
}

Result<kube::ReconcileResult> WebhookCertificateReconciler::reconcile(const std::string& /*key*/) {
  const auto ca = d_.ca.get();
  // The CA controller re-enqueues this key once it has loaded the CA.
  if (!ca) return kube::ReconcileResult{};
  const TimePoint now = d_.clock.now();
  const std::string secret_key = kube::object_key(options_.service_namespace, options_.secret_name);
  const kube::ObjectPtr cached = d_.secrets.get(secret_key);
  const json current = cached ? *cached : json(nullptr);
  SSO_ASSIGN_OR_RETURN(auto plan, plan_webhook_secret(current, *ca, options_, now),
                       "the webhook serving Secret " + secret_key);
  if (plan.secret) {
    Result<json> written = current.is_null() ? d_.client.create(kube::resources::secrets(), *plan.secret) : [&] {
      json update = *plan.secret;
      update["metadata"]["resourceVersion"] = current["metadata"].value("resourceVersion", "");
      return d_.client.update(kube::resources::secrets(), update);
    }();
    if (!written.ok() && (kube::is_already_exists(written.error()) || kube::is_conflict(written.error())))
      return kube::ReconcileResult{.requeue = true};
    SSO_RETURN_IF_ERROR(written, "write the webhook serving Secret " + secret_key);
    if (plan.issued)
      d_.events.record(*written, kube::EventType::kNormal, "Issued",
                       "issued the webhook's serving certificate: " + plan.issued->message);
  }
  if (!options_.config_name.empty()) {
    // Absent: not installed (yet); its informer brings the key back when it appears.
    if (const kube::ObjectPtr config = d_.configs.get(options_.config_name)) {
      if (auto injected = with_ca_bundle(*config, ca->bundle_pem)) {
        auto written = d_.client.update(kube::resources::validating_webhook_configurations(), *injected);
        if (!written.ok() && kube::is_conflict(written.error())) return kube::ReconcileResult{.requeue = true};
        SSO_RETURN_IF_ERROR(written, "write the caBundle of ValidatingWebhookConfiguration " + options_.config_name);
      }
    }
  }
  kube::ReconcileResult result;
  result.requeue_after = std::max<std::chrono::nanoseconds>(std::chrono::seconds(1), plan.renewal_time - now);
  return result;
}

}  // namespace sso::controller
