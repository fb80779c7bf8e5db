#include "controller/cluster_ca.hpp"

#include <algorithm>

#include "api/secure_service.hpp"
#include "kube/resource.hpp"
#include "kube/secret_data.hpp"
#include "pki/renewal.hpp"
#include "pki/revocation.hpp"

namespace sso::controller {
namespace {

using nlohmann::json;

std::optional<TimePoint> annotation_time(const json& secret, const char* key) {
  auto t = parse_rfc3339(kube::annotation_of(secret, key));
  return t.ok() ? std::optional<TimePoint>(*t) : std::nullopt;
}

Result<std::string> required_value(const json& secret, const std::string& key) {
  SSO_ASSIGN_OR_RETURN(auto value, kube::secret_value(secret, key));
  if (!value || value->empty()) return failed_precondition("data[" + key + "]: missing");
  return *value;
}

// The secret's data, rebuilt: the caller sets what changes.
struct CaSecretData {
  std::string cert_pem, key_pem, bundle_pem, crl_pem, next_cert_pem, next_key_pem;
};

json build_secret(const json& current, const std::string& ns, const std::string& name, const CaSecretData& d,
                  const std::map<std::string, std::string>& annotations) {
  json secret = current.is_object() ? current : json::object();
  secret["apiVersion"] = "v1";
  secret["kind"] = "Secret";
  secret["type"] = "kubernetes.io/tls";
  secret["metadata"]["name"] = name;
  secret["metadata"]["namespace"] = ns;
  secret["metadata"]["labels"][std::string(api::kManagedByLabel)] = std::string(api::kManagedByValue);
  json& a = secret["metadata"]["annotations"];
  if (!a.is_object()) a = json::object();
  for (const char* k : {kRotateAnnotation, kPromoteAfterAnnotation, kRetireAfterAnnotation, kCrlNumberAnnotation,
                        kCrlSignedAtAnnotation})
    a.erase(k);
  for (const auto& [k, v] : annotations) a[k] = v;
  if (a.empty()) secret["metadata"].erase("annotations");
  json data = {{"tls.crt", base64_encode(d.cert_pem)},
               {"tls.key", base64_encode(d.key_pem)},
               {"ca.crt", base64_encode(d.bundle_pem)},
               {"ca.crl", base64_encode(d.crl_pem)}};
  if (!d.next_cert_pem.empty()) {
    data["next.crt"] = base64_encode(d.next_cert_pem);
    data["next.key"] = base64_encode(d.next_key_pem);
  }
  secret["data"] = std::move(data);
  secret.erase("stringData");
  return secret;
}

std::string bundle_of(const std::vector<const pki::Certificate*>& certs) {
  std::vector<pki::Certificate> unique;
  for (const auto* c : certs)
    if (std::find(unique.begin(), unique.end(), *c) == unique.end()) unique.push_back(*c);
  return pki::to_pem(unique);
}

Result<std::string> fresh_crl(const pki::CertificateAuthority& ca, const pki::RevocationList& revoked, uint64_t number,
                              const ClusterCaOptions& options, TimePoint now) {
  return pki::sign_crl(ca, revoked, number, now, now + options.crl_validity);
}

// What the cluster CA's CRL lists, strictly: re-signing starts from it.
Result<pki::RevocationList> revoked_of(const ClusterCa& ca) {
  if (!ca.crl_problem.empty()) return invalid_argument("data[ca.crl]: " + ca.crl_problem);
  return ca.revoked;
}

uint64_t crl_number_of(const json& secret) {
  try {
    return std::stoull(kube::annotation_of(secret, kCrlNumberAnnotation));
  } catch (const std::exception&) {
    return 1;
  }
}

}  // namespace

Result<ClusterCa> load_ca_secret(const json& secret, TimePoint now) {
  SSO_ASSIGN_OR_RETURN(std::string cert, required_value(secret, "tls.crt"));
  SSO_ASSIGN_OR_RETURN(std::string key, required_value(secret, "tls.key"));
  SSO_ASSIGN_OR_RETURN(auto issuer, pki::CertificateAuthority::load(cert, key, now));
  ClusterCa ca{std::move(issuer), {}, "", "", kube::resource_version_of(secret), {}, ""};
  SSO_ASSIGN_OR_RETURN(auto bundle, kube::secret_value(secret, "ca.crt"));
  if (bundle && !bundle->empty()) {
    SSO_ASSIGN_OR_RETURN(ca.trusted, pki::Certificate::chain_from_pem(*bundle), "data[ca.crt]");
  }
  // The issuing CA (and its chain's root) always leads the bundle.
  const pki::Certificate& root = ca.issuer.chain().back();
  ca.trusted.erase(std::remove(ca.trusted.begin(), ca.trusted.end(), root), ca.trusted.end());
  ca.trusted.insert(ca.trusted.begin(), root);
  ca.bundle_pem = pki::to_pem(ca.trusted);
  SSO_ASSIGN_OR_RETURN(auto crl, kube::secret_value(secret, "ca.crl"));
  if (crl && !crl->empty()) {
    ca.crl_pem = *crl;
    // Lenient here: a user's CA may carry a CRL its root signed. The cluster CA's own steps
    // read it strictly (revoked_of).
    auto revoked = pki::read_crl(*crl, ca.issuer.certificate());
    if (revoked.ok())
      ca.revoked = std::move(*revoked);
    else
      ca.crl_problem = revoked.error().describe();
  }
  return ca;
}

Result<CaSecretStep> next_ca_secret_step(const json& current, const std::string& ns, const std::string& name,
                                         const ClusterCaOptions& options, TimePoint now) {
  CaSecretStep step;
  if (current.is_null()) {
    SSO_ASSIGN_OR_RETURN(auto ca, pki::CertificateAuthority::create(options.ca, now), "create cluster CA");
    SSO_ASSIGN_OR_RETURN(std::string crl, fresh_crl(ca, pki::RevocationList(), 1, options, now));
    CaSecretData d{pki::to_pem(ca.chain()), std::string(ca.key_pem().reveal()), ca.certificate().to_pem(), crl, "", ""};
    step.secret = build_secret(json(nullptr), ns, name, d,
                               {{kCrlNumberAnnotation, "1"}, {kCrlSignedAtAnnotation, format_rfc3339(now)}});
    step.reason = "Created";
    step.message = "created the cluster CA " + ca.certificate().subject() + ", valid until " +
                   format_rfc3339(ca.certificate().not_after());
    step.next_check = std::min(pki::renewal_time(ca.certificate(), std::nullopt), now + options.crl_validity / 2);
    return step;
  }
  SSO_ASSIGN_OR_RETURN(ClusterCa loaded, load_ca_secret(current, now), "load CA Secret " + ns + "/" + name);
  SSO_ASSIGN_OR_RETURN(auto next_cert, kube::secret_value(current, "next.crt"));
  SSO_ASSIGN_OR_RETURN(auto next_key, kube::secret_value(current, "next.key"));
  const auto promote_after = annotation_time(current, kPromoteAfterAnnotation);
  const auto retire_after = annotation_time(current, kRetireAfterAnnotation);
  SSO_ASSIGN_OR_RETURN(const pki::RevocationList revoked, revoked_of(loaded), "load CA Secret " + ns + "/" + name);
  uint64_t crl_number = crl_number_of(current);

  CaSecretData d{pki::to_pem(loaded.issuer.chain()),
                 std::string(loaded.issuer.key_pem().reveal()),
                 loaded.bundle_pem,
                 loaded.crl_pem,
                 next_cert.value_or(""),
                 next_key.value_or("")};
  std::map<std::string, std::string> annotations;
  if (promote_after) annotations[kPromoteAfterAnnotation] = format_rfc3339(*promote_after);
  if (retire_after) annotations[kRetireAfterAnnotation] = format_rfc3339(*retire_after);
  const TimePoint renewal = pki::renewal_time(loaded.issuer.certificate(), std::nullopt);
  std::vector<TimePoint> checks = {renewal};

  if (!d.next_cert_pem.empty()) {
    SSO_ASSIGN_OR_RETURN(auto next, pki::CertificateAuthority::load(d.next_cert_pem, d.next_key_pem, now),
                         "load the staged CA (next.crt, next.key) of " + ns + "/" + name);
    if (!promote_after || now >= *promote_after) {
      // Promote: the staged CA signs from now on; the old one stays trusted for the overlap.
      std::vector<const pki::Certificate*> bundle = {&next.chain().back()};
      for (const auto& c : loaded.trusted) bundle.push_back(&c);
      d.bundle_pem = bundle_of(bundle);
      d.cert_pem = pki::to_pem(next.chain());
      d.key_pem = std::string(next.key_pem().reveal());
      d.next_cert_pem.clear();
      d.next_key_pem.clear();
      // The new CA's CRL starts empty: serials are per CA, and every leaf is re-issued now.
      SSO_ASSIGN_OR_RETURN(d.crl_pem, fresh_crl(next, pki::RevocationList(), ++crl_number, options, now));
      annotations.erase(kPromoteAfterAnnotation);
      annotations[kRetireAfterAnnotation] = format_rfc3339(now + options.overlap);
      step.reason = "RotationPromoted";
      step.message = "the CA " + next.certificate().subject() + " (serial " + next.certificate().serial_hex() +
                     ") now signs; the previous CA stays trusted until " + format_rfc3339(now + options.overlap);
      checks = {now + options.overlap, pki::renewal_time(next.certificate(), std::nullopt)};
    } else {
      // Only the promotion is pending: the renewal time that started the rotation is past, and
      // looking again then would re-read the Secret every second until the promotion.
      checks = {*promote_after};
    }
  } else if (!kube::annotation_of(current, kRotateAnnotation).empty() || now >= renewal) {
    // Stage: trusted everywhere first, signing only after the bundle has reached every pod.
    pki::CaOptions ca_options = options.ca;
    ca_options.key = loaded.issuer.certificate().public_key_spec().ok() ? *loaded.issuer.certificate().public_key_spec()
                                                                        : options.ca.key;
    SSO_ASSIGN_OR_RETURN(auto next, pki::CertificateAuthority::create(ca_options, now), "mint the next cluster CA");
    std::vector<const pki::Certificate*> bundle;
    for (const auto& c : loaded.trusted) bundle.push_back(&c);
    bundle.push_back(&next.certificate());
    d.bundle_pem = bundle_of(bundle);
    d.next_cert_pem = pki::to_pem(next.chain());
    d.next_key_pem = std::string(next.key_pem().reveal());
    annotations[kPromoteAfterAnnotation] = format_rfc3339(now + options.propagation);
    step.reason = "RotationStaged";
    step.message = std::string(now >= renewal ? "the CA reached its renewal time" : "rotation was requested") +
                   ": staged the next CA " + next.certificate().subject() + " (serial " +
                   next.certificate().serial_hex() + "), trusted now, signing from " +
                   format_rfc3339(now + options.propagation);
    checks = {now + options.propagation};
  } else if (retire_after && now >= *retire_after && loaded.trusted.size() > 1) {
    d.bundle_pem = pki::to_pem({loaded.trusted.front()});
    annotations.erase(kRetireAfterAnnotation);
    step.reason = "PreviousCARetired";
    step.message = "the previous CA's overlap ended; the bundle holds the issuing CA only";
  } else {
    if (retire_after && *retire_after > now) checks.push_back(*retire_after);
  }

  // The CRL is re-signed at half its validity, and whenever the signer changes.
  const auto crl_signed_at = annotation_time(current, kCrlSignedAtAnnotation);
  const bool crl_due = d.crl_pem.empty() || !crl_signed_at || now >= *crl_signed_at + options.crl_validity / 2;
  if (step.reason.empty() && crl_due) {
    SSO_ASSIGN_OR_RETURN(d.crl_pem, fresh_crl(loaded.issuer, revoked, ++crl_number, options, now));
    step.reason = "CRLRenewed";
    step.message = "re-signed the CRL (number " + std::to_string(crl_number) + ")";
  }
  if (step.reason.empty()) {
    checks.push_back(*crl_signed_at + options.crl_validity / 2);
    step.next_check = *std::min_element(checks.begin(), checks.end());
    return step;
  }
  annotations[kCrlNumberAnnotation] = std::to_string(crl_number);
  // A CRL of unknown age keeps no signing time, so that the next step re-signs it; stamping it
  // with `now` could let it lapse unseen.
  const bool crl_signed_now = step.reason == "CRLRenewed" || step.reason == "RotationPromoted";
  if (crl_signed_now || crl_signed_at) {
    const TimePoint signed_at = crl_signed_now ? now : *crl_signed_at;
    annotations[kCrlSignedAtAnnotation] = format_rfc3339(signed_at);
    checks.push_back(signed_at + options.crl_validity / 2);
  }
  step.secret = build_secret(current, ns, name, d, annotations);
  step.next_check = *std::min_element(checks.begin(), checks.end());
  return step;
}

Result<CaSecretStep> revoke_in_ca_secret(const json& current, const std::string& serial, pki::RevocationReason reason,
                                         const ClusterCaOptions& options, TimePoint now) {
  const std::string ns = kube::namespace_of(current), name = kube::name_of(current);
  const std::string what = "revoke " + serial + " in the cluster CA Secret " + ns + "/" + name;
  SSO_ASSIGN_OR_RETURN(ClusterCa loaded, load_ca_secret(current, now), what);
  SSO_ASSIGN_OR_RETURN(pki::RevocationList revoked, revoked_of(loaded), what);
  CaSecretStep step;
  if (revoked.is_revoked(serial)) return step;
  SSO_RETURN_IF_ERROR(revoked.revoke(serial, now, reason), what);
  const uint64_t crl_number = crl_number_of(current) + 1;
  SSO_ASSIGN_OR_RETURN(auto next_cert, kube::secret_value(current, "next.crt"), what);
  SSO_ASSIGN_OR_RETURN(auto next_key, kube::secret_value(current, "next.key"), what);
  CaSecretData d{pki::to_pem(loaded.issuer.chain()),
                 std::string(loaded.issuer.key_pem().reveal()),
                 loaded.bundle_pem,
                 "",
                 next_cert.value_or(""),
                 next_key.value_or("")};
  SSO_ASSIGN_OR_RETURN(d.crl_pem, fresh_crl(loaded.issuer, revoked, crl_number, options, now), what);
  std::map<std::string, std::string> annotations = {{kCrlNumberAnnotation, std::to_string(crl_number)},
                                                    {kCrlSignedAtAnnotation, format_rfc3339(now)}};
  for (const char* kept : {kPromoteAfterAnnotation, kRetireAfterAnnotation})
    if (auto at = annotation_time(current, kept)) annotations[kept] = format_rfc3339(*at);
  // A rotation requested and not yet staged stays requested.
  if (const std::string rotate = kube::annotation_of(current, kRotateAnnotation); !rotate.empty())
    annotations[kRotateAnnotation] = rotate;
  step.secret = build_secret(current, ns, name, d, annotations);
  step.reason = "CertificateRevoked";
  step.message = "revoked certificate " + serial + " (" + std::string(pki::to_string(reason)) + "); CRL number " +
                 std::to_string(crl_number) + " lists " + std::to_string(revoked.entries().size()) + " certificate(s)";
  step.next_check = now + options.crl_validity / 2;
  return step;
}

}  // namespace sso::controller
