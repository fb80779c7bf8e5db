#include "controller/identity_secret.hpp"

#include "controller/owned_object.hpp"
#include "kube/resource.hpp"
#include "kube/secret_data.hpp"
#include "pki/keystore.hpp"
#include "pki/private_key.hpp"

namespace sso::controller {
namespace {

using nlohmann::json;

int64_t revision_of(const json& secret) {
  try {
    return std::stoll(secret.at("metadata").at("annotations").at(kRevisionAnnotation).get<std::string>());
  } catch (const std::exception&) {
    return 0;
  }
}

// rotationPolicy Never keeps the key across renewals, if it still parses and still has the
// requested algorithm and size (cert-manager does the same; a changed algorithm needs a new key).
std::optional<pki::PrivateKey> reusable_key(const IdentitySecretInput& input,
                                            const std::optional<std::string>& key_pem) {
  if (input.service.tls.rotation_policy != api::RotationPolicy::kNever || !key_pem) return std::nullopt;
  auto key = pki::PrivateKey::from_pem(*key_pem);
  if (!key.ok() || !(key->spec() == input.request.key)) return std::nullopt;
  return *key;
}

}  // namespace

bool is_owned_by(const json& secret, const api::SecureService& service) {
  if (!secret.is_object() || !secret.contains("metadata")) return false;
  const json& meta = secret["metadata"];
  const auto labels = meta.value("labels", json::object());
  if (labels.value(std::string(api::kManagedByLabel), "") != api::kManagedByValue ||
      labels.value(std::string(api::kNameLabel), "") != service.name)
    return false;
  if (service.uid.empty()) return true;
  for (const auto& ref : meta.value("ownerReferences", json::array()))
    if (ref.value("uid", "") == service.uid) return true;
  return false;
}

Result<IdentitySecretPlan> plan_identity_secret(const IdentitySecretInput& input) {
  IdentitySecretPlan plan;
  SSO_ASSIGN_OR_RETURN(auto cert_pem, kube::secret_value(input.existing, "tls.crt"), "read Secret");
  SSO_ASSIGN_OR_RETURN(auto key_pem, kube::secret_value(input.existing, "tls.key"), "read Secret");
  SSO_ASSIGN_OR_RETURN(auto keystore, kube::secret_value(input.existing, "keystore.p12"), "read Secret");
  SSO_ASSIGN_OR_RETURN(auto bundle, kube::secret_value(input.existing, "ca.crt"), "read Secret");

  // Each part is read once: a Secret that is kept goes on with the chain the decision read.
  pki::HeldIdentity held =
      pki::read_held_identity(cert_pem ? std::optional<std::string_view>(*cert_pem) : std::nullopt,
                              key_pem ? std::optional<std::string_view>(*key_pem) : std::nullopt, input.key_facts);
  plan.issued = pki::decide_reissue(pki::HeldRenewalInput{held, input.request, input.ca.issuer.certificate(),
                                                          input.ca.trusted, input.now, &input.ca.revoked});
  plan.revision = revision_of(input.existing);

  std::string chain_pem;
  std::string new_key_pem;
  std::optional<pki::Identity> identity;
  if (plan.issued) {
    SSO_ASSIGN_OR_RETURN(identity, input.ca.issuer.issue(input.request, input.now, reusable_key(input, key_pem)),
                         "issue a certificate");
    // The chain up to (not including) the root: the leaf, then any intermediates of a user CA.
    std::vector<pki::Certificate> chain = identity->chain;
    for (size_t i = 1; i < input.ca.issuer.chain().size(); ++i) {
      const auto& c = input.ca.issuer.chain()[i];
      if (!c.is_self_signed() && std::find(chain.begin(), chain.end(), c) == chain.end()) chain.push_back(c);
    }
    identity->chain = chain;
    chain_pem = pki::to_pem(chain);
    new_key_pem = std::string(identity->key.to_pkcs8_pem().reveal());
    plan.chain = std::move(chain);
    ++plan.revision;
  } else {
    chain_pem = *cert_pem;
    new_key_pem = *key_pem;
    plan.chain = std::move(held.chain);  // kept, so it parsed
  }
  const pki::Certificate& leaf = plan.chain.front();
  plan.renewal_time = pki::renewal_time(leaf, input.service.tls.renew_before);

  json secret = input.existing.is_object() ? input.existing : json::object();
  json meta = owned_metadata(input.service, input.service.tls.secret_name);
  // Keep what others added to labels and annotations; ours win.
  for (const char* part : {"labels", "annotations"}) {
    if (secret.contains("metadata") && secret["metadata"].contains(part) && secret["metadata"][part].is_object())
      for (const auto& [k, v] : secret["metadata"][part].items())
        if (!meta[part].contains(k)) meta[part][k] = v;
  }
  meta["annotations"][kFingerprintAnnotation] = leaf.fingerprint_sha256();
  meta["annotations"][kNotAfterAnnotation] = format_rfc3339(leaf.not_after());
  meta["annotations"][kRevisionAnnotation] = std::to_string(plan.revision);
  if (secret.contains("metadata")) {
    for (const char* keep : {"resourceVersion", "uid", "creationTimestamp", "finalizers", "managedFields"})
      if (secret["metadata"].contains(keep)) meta[keep] = secret["metadata"][keep];
  }
  secret["apiVersion"] = "v1";
  secret["kind"] = "Secret";
  secret["type"] = "kubernetes.io/tls";
  secret["metadata"] = std::move(meta);
  secret.erase("stringData");
  json data = {{"tls.crt", base64_encode(chain_pem)},
               {"tls.key", base64_encode(new_key_pem)},
               {"ca.crt", base64_encode(input.ca.bundle_pem)}};
  if (input.service.tls.pkcs12 && input.keystore_password) {
    // PKCS#12 output is salted, so it differs on every encoding: made again only when what it
    // holds changed (a new leaf or a new bundle) or it is missing, as cert-manager does.
    const bool same_contents =
        !plan.issued && bundle && *bundle == input.ca.bundle_pem &&
        kube::annotation_of(input.existing, kKeystorePasswordAnnotation) == input.keystore_password_version;
    if (keystore && same_contents) {
      data["keystore.p12"] = base64_encode(*keystore);
    } else {
      if (!identity) {
        SSO_ASSIGN_OR_RETURN(auto key, pki::PrivateKey::from_pem(new_key_pem), "read Secret: tls.key");
        identity = pki::Identity{std::move(key), plan.chain};
      }
      SSO_ASSIGN_OR_RETURN(
          auto p12, pki::encode_pkcs12(*identity, input.ca.trusted, *input.keystore_password, input.service.name),
          "encode keystore.p12");
      data["keystore.p12"] = base64_encode(p12.reveal());
    }
    secret["metadata"]["annotations"][kKeystorePasswordAnnotation] = input.keystore_password_version;
  }
  secret["data"] = std::move(data);
  plan.secret = std::move(secret);
  return plan;
}

}  // namespace sso::controller
