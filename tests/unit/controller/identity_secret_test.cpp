#include "controller/identity_secret.hpp"

#include <gmock/gmock.h>

#include "kube/secret_data.hpp"
#include "pki_fixtures.hpp"
#include "secure_service_fixtures.hpp"
#include "status_matchers.hpp"

namespace sso::controller {
namespace {

using nlohmann::json;
using ::sso::testing::fixed_now;
using ::sso::testing::IsOk;
using ::sso::testing::make_test_ca;
using namespace std::chrono_literals;

// The fixture below takes the plan's name, as the tests are about it.
using Plan = ::sso::controller::IdentitySecretPlan;

ClusterCa cluster_ca_of(const pki::CertificateAuthority& issuer, std::vector<pki::Certificate> also_trusted = {}) {
  std::vector<pki::Certificate> trusted = {issuer.certificate()};
  trusted.insert(trusted.end(), also_trusted.begin(), also_trusted.end());
  const std::string bundle = pki::to_pem(trusted);
  return ClusterCa{issuer, std::move(trusted), bundle, "", "1"};
}

api::SecureService payments() {
  api::SecureService service = testing::make_secure_service();
  service.tls.secret_name = "payments-tls";
  return service;
}

pki::IdentityRequest request_of(const api::SecureService& service) {
  auto request = api::identity_request(service, "cluster.local", "cluster.local");
  if (!request.ok()) {
    ADD_FAILURE() << "identity_request: " << request.error().describe();
    std::abort();
  }
  return std::move(*request);
}

struct Planner {
  api::SecureService service = payments();
  std::optional<pki::SecretBytes> password;
  std::string password_version = "uid-1/1";

  Plan plan(const ClusterCa& ca, const json& existing, TimePoint now) const {
    const pki::IdentityRequest request = request_of(service);
    auto plan = plan_identity_secret({service, request, ca, existing, password, now, password_version});
    if (!plan.ok()) {
      ADD_FAILURE() << "plan_identity_secret: " << plan.error().describe();
      std::abort();
    }
    return std::move(*plan);
  }
};

std::string data(const json& secret, const std::string& key) {
  auto value = kube::secret_value(secret, key);
  return value.ok() && *value ? **value : "";
}

std::string annotation(const json& secret, const std::string& key) {
  return secret["metadata"].value("annotations", json::object()).value(key, "");
}

pki::Certificate leaf_of(const json& secret) {
  auto chain = pki::Certificate::chain_from_pem(data(secret, "tls.crt"));
  if (!chain.ok() || chain->empty()) {
    ADD_FAILURE() << "tls.crt holds no certificate";
    std::abort();
  }
  return chain->front();
}

pki::PrivateKey key_of(const json& secret) {
  auto key = pki::PrivateKey::from_pem(data(secret, "tls.key"));
  if (!key.ok()) {
    ADD_FAILURE() << "tls.key holds no key";
    std::abort();
  }
  return std::move(*key);
}

class IdentitySecretPlan : public ::testing::Test {
 protected:
  const TimePoint now = fixed_now();
  const pki::CertificateAuthority issuer = make_test_ca(fixed_now() - 1h, {}, "cluster CA", 24h * 3650);
  const ClusterCa ca = cluster_ca_of(issuer);
  Planner planner;
};

TEST_F(IdentitySecretPlan, IssuesForAnAbsentSecretWithRevisionOne) {
  const Plan plan = planner.plan(ca, nullptr, now);
  ASSERT_TRUE(plan.issued);
  EXPECT_EQ(plan.issued->reason, pki::ReissueReason::kMissingData);
  EXPECT_EQ(plan.revision, 1);
  EXPECT_EQ(annotation(plan.secret, kRevisionAnnotation), "1");
  EXPECT_EQ(plan.secret["type"], "kubernetes.io/tls");
  EXPECT_EQ(plan.secret["metadata"]["name"], "payments-tls");
  EXPECT_EQ(plan.secret["metadata"]["namespace"], "shop");
  const pki::Certificate leaf = leaf_of(plan.secret);
  EXPECT_TRUE(leaf.is_signed_by(issuer.certificate()));
  EXPECT_TRUE(leaf.matches_key(key_of(plan.secret)));
  ASSERT_FALSE(plan.chain.empty());
  EXPECT_TRUE(plan.chain.front() == leaf);
  EXPECT_EQ(annotation(plan.secret, kFingerprintAnnotation), leaf.fingerprint_sha256());
  EXPECT_EQ(annotation(plan.secret, kNotAfterAnnotation), format_rfc3339(leaf.not_after()));
  EXPECT_EQ(plan.renewal_time, pki::renewal_time(leaf, std::nullopt));
  EXPECT_EQ(data(plan.secret, "ca.crt"), ca.bundle_pem);
}

TEST_F(IdentitySecretPlan, IssuesWhenTheSecretHasNoData) {
  const json empty = {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "payments-tls"}}}};
  const Plan plan = planner.plan(ca, empty, now);
  ASSERT_TRUE(plan.issued);
  EXPECT_EQ(plan.issued->reason, pki::ReissueReason::kMissingData);
}

// What keeps the operator from re-issuing on every reconcile.
TEST_F(IdentitySecretPlan, KeepsTheWrittenSecretOnTheNextPlan) {
  const Plan first = planner.plan(ca, nullptr, now);
  const Plan second = planner.plan(ca, first.secret, now + 1h);
  EXPECT_FALSE(second.issued);
  EXPECT_EQ(second.revision, 1);
  EXPECT_TRUE(data(second.secret, "tls.crt") == data(first.secret, "tls.crt"));
  EXPECT_TRUE(data(second.secret, "tls.key") == data(first.secret, "tls.key"));
  EXPECT_TRUE(second.secret == first.secret);
  EXPECT_EQ(second.renewal_time, first.renewal_time);
}

TEST_F(IdentitySecretPlan, ReissuesInsideTheRenewBeforeWindowWithTheNextRevision) {
  const Plan first = planner.plan(ca, nullptr, now);
  const Plan early = planner.plan(ca, first.secret, first.renewal_time - 1s);
  EXPECT_FALSE(early.issued);
  const Plan renewed = planner.plan(ca, first.secret, first.renewal_time);
  ASSERT_TRUE(renewed.issued);
  EXPECT_EQ(renewed.issued->reason, pki::ReissueReason::kRenewalDue);
  EXPECT_EQ(renewed.revision, 2);
  EXPECT_EQ(annotation(renewed.secret, kRevisionAnnotation), "2");
  EXPECT_FALSE(leaf_of(renewed.secret) == leaf_of(first.secret));
  EXPECT_TRUE(leaf_of(renewed.secret).matches_key(key_of(renewed.secret)));
  EXPECT_GT(renewed.renewal_time, first.renewal_time);
}

TEST_F(IdentitySecretPlan, HonoursRenewBeforeOfTheService) {
  planner.service.tls.renew_before = 24h;
  const Plan first = planner.plan(ca, nullptr, now);
  EXPECT_EQ(first.renewal_time, leaf_of(first.secret).not_after() - 24h);
  EXPECT_FALSE(planner.plan(ca, first.secret, first.renewal_time - 1s).issued);
  EXPECT_TRUE(planner.plan(ca, first.secret, first.renewal_time).issued);
}

TEST_F(IdentitySecretPlan, KeepsTheKeyWhenRotationPolicyIsNever) {
  planner.service.tls.rotation_policy = api::RotationPolicy::kNever;
  const Plan first = planner.plan(ca, nullptr, now);
  const Plan renewed = planner.plan(ca, first.secret, first.renewal_time);
  ASSERT_TRUE(renewed.issued);
  EXPECT_FALSE(leaf_of(renewed.secret) == leaf_of(first.secret));
  EXPECT_EQ(leaf_of(renewed.secret).public_key_der(), leaf_of(first.secret).public_key_der());
  EXPECT_TRUE(data(renewed.secret, "tls.key") == data(first.secret, "tls.key"));
  EXPECT_TRUE(leaf_of(renewed.secret).matches_key(key_of(renewed.secret)));
}

TEST_F(IdentitySecretPlan, MakesANewKeyOnRenewalWhenRotationPolicyIsAlways) {
  planner.service.tls.rotation_policy = api::RotationPolicy::kAlways;
  const Plan first = planner.plan(ca, nullptr, now);
  const Plan renewed = planner.plan(ca, first.secret, first.renewal_time);
  ASSERT_TRUE(renewed.issued);
  EXPECT_NE(leaf_of(renewed.secret).public_key_der(), leaf_of(first.secret).public_key_der());
  EXPECT_FALSE(data(renewed.secret, "tls.key") == data(first.secret, "tls.key"));
  EXPECT_TRUE(leaf_of(renewed.secret).matches_key(key_of(renewed.secret)));
}

TEST_F(IdentitySecretPlan, MakesANewKeyWhenTheAlgorithmChangesEvenWithRotationPolicyNever) {
  planner.service.tls.rotation_policy = api::RotationPolicy::kNever;
  const Plan first = planner.plan(ca, nullptr, now);
  planner.service.tls.key = {pki::KeyAlgorithm::kECDSA, 384};
  const Plan changed = planner.plan(ca, first.secret, now + 1h);
  ASSERT_TRUE(changed.issued);
  EXPECT_EQ(changed.issued->reason, pki::ReissueReason::kKeyAlgorithmChanged);
  EXPECT_EQ(key_of(changed.secret).spec(), (pki::KeySpec{pki::KeyAlgorithm::kECDSA, 384}));
  EXPECT_TRUE(leaf_of(changed.secret).matches_key(key_of(changed.secret)));
}

TEST_F(IdentitySecretPlan, ReissuesWithCaRotatedWhenANewCaIssuesAndTheOldIsStillTrusted) {
  const Plan first = planner.plan(ca, nullptr, now);
  const pki::CertificateAuthority next = make_test_ca(now, {}, "next cluster CA", 24h * 3650);
  const ClusterCa rotated = cluster_ca_of(next, {issuer.certificate()});
  const Plan plan = planner.plan(rotated, first.secret, now + 1h);
  ASSERT_TRUE(plan.issued);
  EXPECT_EQ(plan.issued->reason, pki::ReissueReason::kCARotated);
  EXPECT_EQ(plan.revision, 2);
  EXPECT_TRUE(leaf_of(plan.secret).is_signed_by(next.certificate()));
  EXPECT_TRUE(leaf_of(plan.secret).matches_key(key_of(plan.secret)));
  EXPECT_EQ(data(plan.secret, "ca.crt"), rotated.bundle_pem);
  // And the next plan keeps what was issued by the new CA.
  EXPECT_FALSE(planner.plan(rotated, plan.secret, now + 2h).issued);
}

TEST_F(IdentitySecretPlan, ReissuesWithIssuerMismatchWhenTheOldCaIsNoLongerTrusted) {
  const Plan first = planner.plan(ca, nullptr, now);
  const pki::CertificateAuthority other = make_test_ca(now, {}, "other CA", 24h * 3650);
  const Plan plan = planner.plan(cluster_ca_of(other), first.secret, now + 1h);
  ASSERT_TRUE(plan.issued);
  EXPECT_EQ(plan.issued->reason, pki::ReissueReason::kIssuerMismatch);
}

TEST_F(IdentitySecretPlan, FollowsAChangedBundleInCaCrtWithoutReissuing) {
  const Plan first = planner.plan(ca, nullptr, now);
  const pki::CertificateAuthority staged = make_test_ca(now, {}, "staged CA", 24h * 3650);
  const ClusterCa with_staged = cluster_ca_of(issuer, {staged.certificate()});
  ASSERT_NE(with_staged.bundle_pem, ca.bundle_pem);
  const Plan plan = planner.plan(with_staged, first.secret, now + 1h);
  EXPECT_FALSE(plan.issued);
  EXPECT_EQ(plan.revision, 1);
  EXPECT_EQ(data(plan.secret, "ca.crt"), with_staged.bundle_pem);
  EXPECT_TRUE(data(plan.secret, "tls.crt") == data(first.secret, "tls.crt"));
  EXPECT_TRUE(data(plan.secret, "tls.key") == data(first.secret, "tls.key"));
}

TEST_F(IdentitySecretPlan, ReissuesWhenTheKeyDoesNotMatchTheCertificate) {
  const Plan first = planner.plan(ca, nullptr, now);
  const Plan other = planner.plan(ca, nullptr, now);
  json broken = first.secret;
  broken["data"]["tls.key"] = other.secret["data"]["tls.key"];
  const Plan plan = planner.plan(ca, broken, now + 1h);
  ASSERT_TRUE(plan.issued);
  EXPECT_EQ(plan.issued->reason, pki::ReissueReason::kKeyMismatch);
  EXPECT_TRUE(leaf_of(plan.secret).matches_key(key_of(plan.secret)));
}

// The reconciler passes its KeyFactsCache. A Secret it has seen whole must still be re-issued
// once tls.key is not tls.crt's key, though its uid and resourceVersion stay the same.
TEST_F(IdentitySecretPlan, ReissuesAKeyThatDoesNotMatchWithTheReconcilersCache) {
  pki::KeyFactsCache key_facts;
  const pki::IdentityRequest request = request_of(planner.service);
  const auto plan = [&](const json& existing) {
    auto planned =
        plan_identity_secret({planner.service, request, ca, existing, std::nullopt, now + 1h, "", &key_facts});
    if (!planned.ok()) {
      ADD_FAILURE() << "plan_identity_secret: " << planned.error().describe();
      std::abort();
    }
    return std::move(*planned);
  };
  const auto as_read = [](json secret) {
    secret["metadata"]["uid"] = "uid-secret";
    secret["metadata"]["resourceVersion"] = "42";
    return secret;
  };
  const json first = as_read(planner.plan(ca, nullptr, now).secret);
  const json other = as_read(planner.plan(ca, nullptr, now).secret);
  EXPECT_FALSE(plan(first).issued);
  EXPECT_FALSE(plan(other).issued);
  EXPECT_GT(key_facts.size(), 0u);

  json wrong_key = first;
  wrong_key["data"]["tls.key"] = other["data"]["tls.key"];
  json wrong_certificate = first;
  wrong_certificate["data"]["tls.crt"] = other["data"]["tls.crt"];
  // Twice each: a failed write shows the next reconcile the same Secret, now from the cache.
  for (const json& broken : {wrong_key, wrong_certificate, wrong_key, wrong_certificate}) {
    const Plan replanned = plan(broken);
    ASSERT_TRUE(replanned.issued);
    EXPECT_EQ(replanned.issued->reason, pki::ReissueReason::kKeyMismatch);
    EXPECT_TRUE(leaf_of(replanned.secret).matches_key(key_of(replanned.secret)));
  }
  EXPECT_FALSE(plan(first).issued);
}

TEST_F(IdentitySecretPlan, KeepsLabelsAndAnnotationsOthersAddedButOursWin) {
  const Plan first = planner.plan(ca, nullptr, now);
  json edited = first.secret;
  edited["metadata"]["labels"]["team"] = "payments";
  edited["metadata"]["labels"]["app.kubernetes.io/managed-by"] = "someone-else";
  edited["metadata"]["annotations"]["note"] = "hands off";
  edited["metadata"]["annotations"][kRevisionAnnotation] = "7";
  edited["metadata"]["resourceVersion"] = "42";
  edited["metadata"]["uid"] = "uid-secret";
  edited["stringData"] = {{"extra", "x"}};
  const Plan plan = planner.plan(ca, edited, now + 1h);
  EXPECT_FALSE(plan.issued);
  const json& meta = plan.secret["metadata"];
  EXPECT_EQ(meta["labels"]["team"], "payments");
  EXPECT_EQ(meta["labels"]["app.kubernetes.io/managed-by"], "secureservice-operator");
  EXPECT_EQ(meta["labels"]["secureservice.io/name"], "payments");
  EXPECT_EQ(meta["annotations"]["note"], "hands off");
  EXPECT_EQ(meta["annotations"][kRevisionAnnotation], "7");  // the count read back, not reset
  EXPECT_EQ(meta["resourceVersion"], "42");
  EXPECT_EQ(meta["uid"], "uid-secret");
  EXPECT_FALSE(plan.secret.contains("stringData"));
}

TEST_F(IdentitySecretPlan, IsOwnedByTheServiceThroughAControllerReference) {
  const Plan plan = planner.plan(ca, nullptr, now);
  const json& refs = plan.secret["metadata"]["ownerReferences"];
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0]["uid"], "uid-payments");
  EXPECT_EQ(refs[0]["kind"], "SecureService");
  EXPECT_EQ(refs[0]["controller"], true);
  EXPECT_TRUE(is_owned_by(plan.secret, planner.service));
}

TEST_F(IdentitySecretPlan, WritesAKeystoreOnlyWhenEnabledWithAPassword) {
  planner.service.tls.pkcs12 = true;
  EXPECT_FALSE(planner.plan(ca, nullptr, now).secret["data"].contains("keystore.p12"));
  planner.password = pki::SecretBytes("changeit");
  EXPECT_TRUE(planner.plan(ca, nullptr, now).secret["data"].contains("keystore.p12"));
  planner.service.tls.pkcs12 = false;
  EXPECT_FALSE(planner.plan(ca, nullptr, now).secret["data"].contains("keystore.p12"));
}

// PKCS#12 output is salted: encoding it again on every plan would write the Secret every time.
TEST_F(IdentitySecretPlan, KeepsTheKeystoreWhileItsContentsAreUnchanged) {
  planner.service.tls.pkcs12 = true;
  planner.password = pki::SecretBytes("changeit");
  const Plan first = planner.plan(ca, nullptr, now);
  ASSERT_FALSE(data(first.secret, "keystore.p12").empty());
  const Plan second = planner.plan(ca, first.secret, now + 1h);
  EXPECT_TRUE(data(second.secret, "keystore.p12") == data(first.secret, "keystore.p12"));
  EXPECT_TRUE(second.secret == first.secret);
}

// A new password (the password Secret changed) re-encodes the keystore, or the workload could
// not open it with the password it mounts.
TEST_F(IdentitySecretPlan, RemakesTheKeystoreWhenThePasswordSecretChanges) {
  planner.service.tls.pkcs12 = true;
  planner.password = pki::SecretBytes("changeit");
  const Plan first = planner.plan(ca, nullptr, now);
  EXPECT_EQ(annotation(first.secret, kKeystorePasswordAnnotation), "uid-1/1");
  planner.password = pki::SecretBytes("new-password");
  planner.password_version = "uid-1/2";
  const Plan plan = planner.plan(ca, first.secret, now + 1h);
  EXPECT_FALSE(plan.issued);
  EXPECT_FALSE(data(plan.secret, "keystore.p12") == data(first.secret, "keystore.p12"));
  EXPECT_EQ(annotation(plan.secret, kKeystorePasswordAnnotation), "uid-1/2");
}

TEST_F(IdentitySecretPlan, RemakesTheKeystoreWhenTheBundleChanges) {
  planner.service.tls.pkcs12 = true;
  planner.password = pki::SecretBytes("changeit");
  const Plan first = planner.plan(ca, nullptr, now);
  const pki::CertificateAuthority staged = make_test_ca(now, {}, "staged CA", 24h * 3650);
  const Plan plan = planner.plan(cluster_ca_of(issuer, {staged.certificate()}), first.secret, now + 1h);
  EXPECT_FALSE(plan.issued);
  ASSERT_FALSE(data(plan.secret, "keystore.p12").empty());
  EXPECT_FALSE(data(plan.secret, "keystore.p12") == data(first.secret, "keystore.p12"));
}

TEST_F(IdentitySecretPlan, RemakesTheKeystoreWhenTheCertificateIsReissued) {
  planner.service.tls.pkcs12 = true;
  planner.password = pki::SecretBytes("changeit");
  const Plan first = planner.plan(ca, nullptr, now);
  const Plan renewed = planner.plan(ca, first.secret, first.renewal_time);
  ASSERT_TRUE(renewed.issued);
  EXPECT_FALSE(data(renewed.secret, "keystore.p12") == data(first.secret, "keystore.p12"));
}

TEST_F(IdentitySecretPlan, MakesTheMissingKeystoreWithoutReissuing) {
  const Plan first = planner.plan(ca, nullptr, now);
  planner.service.tls.pkcs12 = true;
  planner.password = pki::SecretBytes("changeit");
  const Plan plan = planner.plan(ca, first.secret, now + 1h);
  EXPECT_FALSE(plan.issued);
  EXPECT_FALSE(data(plan.secret, "keystore.p12").empty());
  EXPECT_TRUE(data(plan.secret, "tls.crt") == data(first.secret, "tls.crt"));
}

TEST(IsOwnedBy, RefusesASecretWithoutOurLabels) {
  const api::SecureService service = payments();
  const json foreign = {{"metadata", {{"name", "payments-tls"}, {"namespace", "shop"}}}};
  EXPECT_FALSE(is_owned_by(foreign, service));
  EXPECT_FALSE(is_owned_by(nullptr, service));
}

TEST(IsOwnedBy, RefusesASecretManagedForAnotherService) {
  const api::SecureService service = payments();
  const json other = {
      {"metadata",
       {{"labels", {{"app.kubernetes.io/managed-by", "secureservice-operator"}, {"secureservice.io/name", "orders"}}},
        {"ownerReferences", {{{"uid", "uid-payments"}}}}}}};
  EXPECT_FALSE(is_owned_by(other, service));
}

TEST(IsOwnedBy, RefusesOurLabelsWithoutAnOwnerReferenceToTheService) {
  const api::SecureService service = payments();
  json secret = {
      {"metadata",
       {{"labels",
         {{"app.kubernetes.io/managed-by", "secureservice-operator"}, {"secureservice.io/name", "payments"}}}}}};
  EXPECT_FALSE(is_owned_by(secret, service));
  secret["metadata"]["ownerReferences"] = {{{"uid", "uid-of-a-deleted-payments"}}};
  EXPECT_FALSE(is_owned_by(secret, service));
  secret["metadata"]["ownerReferences"].push_back({{"uid", "uid-payments"}});
  EXPECT_TRUE(is_owned_by(secret, service));
}

TEST(IsOwnedBy, TakesTheLabelsAloneOfflineWhenTheServiceHasNoUid) {
  api::SecureService service = payments();
  service.uid.clear();
  const json secret = {
      {"metadata",
       {{"labels",
         {{"app.kubernetes.io/managed-by", "secureservice-operator"}, {"secureservice.io/name", "payments"}}}}}};
  EXPECT_TRUE(is_owned_by(secret, service));
}

}  // namespace
}  // namespace sso::controller
