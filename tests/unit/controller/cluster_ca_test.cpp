#include "controller/cluster_ca.hpp"

#include <gmock/gmock.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kube/secret_data.hpp"
#include "pki/renewal.hpp"
#include "pki/trust_bundle.hpp"
#include "pki_fixtures.hpp"
#include "status_matchers.hpp"

namespace sso::controller {
namespace {

using nlohmann::json;
using ::sso::testing::fixed_now;
using ::sso::testing::HasCode;
using ::sso::testing::IsOk;
using ::sso::testing::issue_or_die;
using ::sso::testing::payments_request;
using namespace std::chrono_literals;
using pki::Asn1IntegerPtr;
using pki::BioPtr;
using pki::X509CrlPtr;

ClusterCaOptions test_options() {
  ClusterCaOptions o;
  o.ca.common_name = "cluster CA";
  o.ca.validity = 24h * 365;
  o.propagation = 5min;
  o.overlap = 24h;
  o.crl_validity = 24h * 7;
  return o;
}

CaSecretStep step_or_die(const json& current, TimePoint now, const ClusterCaOptions& options = test_options()) {
  auto step = next_ca_secret_step(current, "ops", "cluster-ca", options, now);
  if (!step.ok()) {
    ADD_FAILURE() << "next_ca_secret_step: " << step.error().describe();
    std::abort();
  }
  return std::move(*step);
}

ClusterCa load_or_die(const json& secret, TimePoint now) {
  auto ca = load_ca_secret(secret, now);
  if (!ca.ok()) {
    ADD_FAILURE() << "load_ca_secret: " << ca.error().describe();
    std::abort();
  }
  return std::move(*ca);
}

std::string data(const json& secret, const std::string& key) {
  auto value = kube::secret_value(secret, key);
  return value.ok() && *value ? **value : "";
}

std::string annotation(const json& secret, const std::string& key) {
  return secret["metadata"].value("annotations", json::object()).value(key, "");
}

std::vector<pki::Certificate> bundle_of(const json& secret) {
  auto certs = pki::Certificate::chain_from_pem(data(secret, "ca.crt"));
  return certs.ok() ? *certs : std::vector<pki::Certificate>{};
}

// The Secret as the CA controller created it at fixed_now().
json created_secret() { return *step_or_die(nullptr, fixed_now()).secret; }

// The created Secret, annotated for rotation and staged at `at`.
json staged_secret(TimePoint at) {
  json secret = created_secret();
  secret["metadata"]["annotations"][kRotateAnnotation] = "now";
  return *step_or_die(secret, at).secret;
}

X509CrlPtr parse_crl(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509CrlPtr(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
}

long crl_number(const X509_CRL& crl) {
  Asn1IntegerPtr number(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(&crl, NID_crl_number, nullptr, nullptr)));
  return number ? ASN1_INTEGER_get(number.get()) : -1;
}

bool crl_is_signed_by(const std::string& crl_pem, const pki::Certificate& ca) {
  X509CrlPtr crl = parse_crl(crl_pem);
  return crl && X509_CRL_verify(crl.get(), X509_get0_pubkey(&ca.native())) == 1;
}

TEST(CaSecretStep, CreatesASelfSignedCaWhenTheSecretIsAbsent) {
  const CaSecretStep step = step_or_die(nullptr, fixed_now());
  EXPECT_EQ(step.reason, "Created");
  ASSERT_TRUE(step.secret);
  const json& secret = *step.secret;
  EXPECT_EQ(secret["type"], "kubernetes.io/tls");
  EXPECT_EQ(secret["metadata"]["namespace"], "ops");
  EXPECT_EQ(secret["metadata"]["name"], "cluster-ca");
  EXPECT_EQ(secret["metadata"]["labels"]["app.kubernetes.io/managed-by"], "secureservice-operator");
  const ClusterCa ca = load_or_die(secret, fixed_now());
  EXPECT_TRUE(ca.issuer.certificate().is_ca());
  EXPECT_TRUE(ca.issuer.certificate().is_self_signed());
  EXPECT_TRUE(ca.issuer.certificate().matches_key(ca.issuer.key()));
  ASSERT_EQ(bundle_of(secret).size(), 1u);
  EXPECT_TRUE(bundle_of(secret)[0] == ca.issuer.certificate());
  EXPECT_FALSE(secret["data"].contains("next.crt"));
  EXPECT_FALSE(secret["data"].contains("next.key"));
}

TEST(CaSecretStep, CreatedCrlIsSignedByTheNewCaAndNumberedOne) {
  const json secret = created_secret();
  const ClusterCa ca = load_or_die(secret, fixed_now());
  ASSERT_FALSE(ca.crl_pem.empty());
  EXPECT_TRUE(crl_is_signed_by(ca.crl_pem, ca.issuer.certificate()));
  X509CrlPtr crl = parse_crl(ca.crl_pem);
  ASSERT_TRUE(crl);
  EXPECT_EQ(crl_number(*crl), 1);
  EXPECT_EQ(annotation(secret, kCrlNumberAnnotation), "1");
  EXPECT_EQ(annotation(secret, kCrlSignedAtAnnotation), format_rfc3339(fixed_now()));
}

TEST(CaSecretStep, ReusesAFreshCaWithoutAnyStep) {
  const json secret = created_secret();
  const CaSecretStep step = step_or_die(secret, fixed_now() + 1h);
  EXPECT_FALSE(step.secret);
  EXPECT_EQ(step.reason, "");
  // Nothing pending before the CRL reaches half its validity.
  ASSERT_TRUE(step.next_check);
  EXPECT_EQ(*step.next_check, fixed_now() + test_options().crl_validity / 2);
}

TEST(CaSecretStep, StagesTheNextCaWhenRotationIsRequested) {
  const json created = created_secret();
  const ClusterCa before = load_or_die(created, fixed_now());
  json annotated = created;
  annotated["metadata"]["annotations"][kRotateAnnotation] = "please";
  const TimePoint now = fixed_now() + 1h;
  const CaSecretStep step = step_or_die(annotated, now);
  EXPECT_EQ(step.reason, "RotationStaged");
  ASSERT_TRUE(step.secret);
  const json& staged = *step.secret;
  EXPECT_FALSE(staged["metadata"]["annotations"].contains(kRotateAnnotation));
  EXPECT_EQ(annotation(staged, kPromoteAfterAnnotation), format_rfc3339(now + 5min));
  ASSERT_TRUE(step.next_check);
  EXPECT_EQ(*step.next_check, now + 5min);

  // The current CA still signs; the next one is trusted already, after it.
  const ClusterCa after = load_or_die(staged, now);
  EXPECT_TRUE(after.issuer.certificate() == before.issuer.certificate());
  auto next = pki::Certificate::chain_from_pem(data(staged, "next.crt"));
  ASSERT_THAT(next, IsOk());
  ASSERT_EQ(next->size(), 1u);
  EXPECT_FALSE(next->front() == before.issuer.certificate());
  auto next_key = pki::PrivateKey::from_pem(data(staged, "next.key"));
  ASSERT_THAT(next_key, IsOk());
  EXPECT_TRUE(next->front().matches_key(*next_key));
  const auto bundle = bundle_of(staged);
  ASSERT_EQ(bundle.size(), 2u);
  EXPECT_TRUE(bundle[0] == before.issuer.certificate());
  EXPECT_TRUE(bundle[1] == next->front());
}

TEST(CaSecretStep, StagesTheNextCaWhenTheCaReachesItsRenewalTime) {
  const json created = created_secret();
  const ClusterCa ca = load_or_die(created, fixed_now());
  const TimePoint renewal = pki::renewal_time(ca.issuer.certificate(), std::nullopt);
  EXPECT_EQ(step_or_die(created, renewal - 1s).reason, "CRLRenewed");  // only the CRL, long due by then
  const CaSecretStep step = step_or_die(created, renewal);
  EXPECT_EQ(step.reason, "RotationStaged");
  ASSERT_TRUE(step.secret);
  EXPECT_TRUE((*step.secret)["data"].contains("next.crt"));
}

TEST(CaSecretStep, DoesNotPromoteBeforeThePropagationTime) {
  const json staged = staged_secret(fixed_now());
  const CaSecretStep step = step_or_die(staged, fixed_now() + 5min - 1s);
  EXPECT_FALSE(step.secret);
  ASSERT_TRUE(step.next_check);
  EXPECT_EQ(*step.next_check, fixed_now() + 5min);
}

// Staged because the CA reached its renewal time: that time is past, the promotion is what is
// pending. Looking again at the (past) renewal time would re-read the Secret every second
// until the promotion.
TEST(CaSecretStep, WaitsForThePromotionWhenStagedAtTheRenewalTime) {
  const json created = created_secret();
  const TimePoint renewal = pki::renewal_time(load_or_die(created, fixed_now()).issuer.certificate(), std::nullopt);
  // The CRL re-signed just before, so that only the rotation is pending.
  const CaSecretStep crl = step_or_die(created, renewal - 1min);
  ASSERT_EQ(crl.reason, "CRLRenewed");
  const CaSecretStep staging = step_or_die(*crl.secret, renewal);
  ASSERT_EQ(staging.reason, "RotationStaged");
  const CaSecretStep step = step_or_die(*staging.secret, renewal + 1min);
  EXPECT_FALSE(step.secret);
  ASSERT_TRUE(step.next_check);
  EXPECT_EQ(*step.next_check, renewal + 5min);
}

TEST(CaSecretStep, PromotesTheStagedCaAfterThePropagationTime) {
  const json staged = staged_secret(fixed_now());
  const ClusterCa old_ca = load_or_die(staged, fixed_now());
  const auto next_cert = pki::Certificate::chain_from_pem(data(staged, "next.crt"));
  ASSERT_THAT(next_cert, IsOk());
  const TimePoint now = fixed_now() + 5min;
  const CaSecretStep step = step_or_die(staged, now);
  EXPECT_EQ(step.reason, "RotationPromoted");
  ASSERT_TRUE(step.secret);
  const json& promoted = *step.secret;
  EXPECT_FALSE(promoted["data"].contains("next.crt"));
  EXPECT_FALSE(promoted["data"].contains("next.key"));
  EXPECT_FALSE(promoted["metadata"]["annotations"].contains(kPromoteAfterAnnotation));
  EXPECT_EQ(annotation(promoted, kRetireAfterAnnotation), format_rfc3339(now + 24h));

  // The staged CA signs now (with its own key); the previous one stays in the bundle, after it.
  const ClusterCa ca = load_or_die(promoted, now);
  EXPECT_TRUE(ca.issuer.certificate() == next_cert->front());
  EXPECT_TRUE(ca.issuer.certificate().matches_key(ca.issuer.key()));
  const auto bundle = bundle_of(promoted);
  ASSERT_EQ(bundle.size(), 2u);
  EXPECT_TRUE(bundle[0] == next_cert->front());
  EXPECT_TRUE(bundle[1] == old_ca.issuer.certificate());

  // Leaves of either CA verify against the bundle during the overlap.
  const auto new_leaf = issue_or_die(ca.issuer, payments_request(), now);
  const auto old_leaf = issue_or_die(old_ca.issuer, payments_request(), now);
  EXPECT_THAT(pki::verify_chain(new_leaf.chain, bundle, pki::VerifyPurpose::kServer, now + 1h), IsOk());
  EXPECT_THAT(pki::verify_chain(old_leaf.chain, bundle, pki::VerifyPurpose::kServer, now + 1h), IsOk());

  // The CRL follows the signer, with the next number.
  EXPECT_TRUE(crl_is_signed_by(ca.crl_pem, ca.issuer.certificate()));
  X509CrlPtr crl = parse_crl(ca.crl_pem);
  ASSERT_TRUE(crl);
  EXPECT_EQ(crl_number(*crl), 2);
  EXPECT_EQ(annotation(promoted, kCrlNumberAnnotation), "2");
  EXPECT_EQ(annotation(promoted, kCrlSignedAtAnnotation), format_rfc3339(now));
  ASSERT_TRUE(step.next_check);
  EXPECT_EQ(*step.next_check, now + 24h);  // the retirement comes before the CRL's half-life
}

TEST(CaSecretStep, KeepsThePreviousCaTrustedUntilRetireAfter) {
  const TimePoint promoted_at = fixed_now() + 5min;
  const json promoted = *step_or_die(staged_secret(fixed_now()), promoted_at).secret;
  const CaSecretStep step = step_or_die(promoted, promoted_at + 24h - 1s);
  EXPECT_FALSE(step.secret);
  ASSERT_TRUE(step.next_check);
  EXPECT_EQ(*step.next_check, promoted_at + 24h);
}

TEST(CaSecretStep, RetiresThePreviousCaAfterTheOverlap) {
  const TimePoint promoted_at = fixed_now() + 5min;
  const json promoted = *step_or_die(staged_secret(fixed_now()), promoted_at).secret;
  const ClusterCa signing = load_or_die(promoted, promoted_at);
  const CaSecretStep step = step_or_die(promoted, promoted_at + 24h);
  EXPECT_EQ(step.reason, "PreviousCARetired");
  ASSERT_TRUE(step.secret);
  const auto bundle = bundle_of(*step.secret);
  ASSERT_EQ(bundle.size(), 1u);
  EXPECT_TRUE(bundle[0] == signing.issuer.certificate());
  EXPECT_FALSE((*step.secret)["metadata"]["annotations"].contains(kRetireAfterAnnotation));
  // The signer and its key are untouched.
  EXPECT_TRUE(data(*step.secret, "tls.crt") == data(promoted, "tls.crt"));
  EXPECT_TRUE(data(*step.secret, "tls.key") == data(promoted, "tls.key"));
  // Nothing more to do once retired.
  EXPECT_FALSE(step_or_die(*step.secret, promoted_at + 24h + 1s).secret);
}

TEST(CaSecretStep, RefusesACaSecretWhoseKeyIsMissing) {
  json secret = created_secret();
  secret["data"].erase("tls.key");
  EXPECT_THAT(next_ca_secret_step(secret, "ops", "cluster-ca", test_options(), fixed_now() + 1h),
              HasCode(ErrorCode::kFailedPrecondition));
}

TEST(CaSecretStep, RefusesACaSecretWhoseKeyIsAnotherCasInsteadOfReplacingIt) {
  json secret = created_secret();
  json other = created_secret();
  secret["data"]["tls.key"] = other["data"]["tls.key"];
  EXPECT_THAT(next_ca_secret_step(secret, "ops", "cluster-ca", test_options(), fixed_now() + 1h),
              HasCode(ErrorCode::kFailedPrecondition));
}

TEST(CaSecretStep, RefusesACaSecretThatIsNotBase64OrNotPem) {
  json secret = created_secret();
  secret["data"]["tls.crt"] = "%%%";
  EXPECT_FALSE(next_ca_secret_step(secret, "ops", "cluster-ca", test_options(), fixed_now() + 1h).ok());
  secret = created_secret();
  secret["data"]["tls.crt"] = base64_encode("not a certificate");
  EXPECT_FALSE(next_ca_secret_step(secret, "ops", "cluster-ca", test_options(), fixed_now() + 1h).ok());
}

TEST(CaSecretStep, RefusesAnExpiredCaEvenWhenRotationIsRequested) {
  json secret = created_secret();
  secret["metadata"]["annotations"][kRotateAnnotation] = "now";
  EXPECT_THAT(next_ca_secret_step(secret, "ops", "cluster-ca", test_options(), fixed_now() + 24h * 366),
              HasCode(ErrorCode::kFailedPrecondition));
}

TEST(CaSecretStep, RefusesABrokenStagedCa) {
  json staged = staged_secret(fixed_now());
  staged["data"]["next.key"] = created_secret()["data"]["tls.key"];
  EXPECT_THAT(next_ca_secret_step(staged, "ops", "cluster-ca", test_options(), fixed_now() + 5min),
              HasCode(ErrorCode::kFailedPrecondition));
}

TEST(CaSecretStep, ResignsTheCrlAtHalfItsValidity) {
  const json created = created_secret();
  const ClusterCa ca = load_or_die(created, fixed_now());
  const TimePoint half = fixed_now() + 24h * 7 / 2;
  EXPECT_FALSE(step_or_die(created, half - 1s).secret);
  const CaSecretStep step = step_or_die(created, half);
  EXPECT_EQ(step.reason, "CRLRenewed");
  ASSERT_TRUE(step.secret);
  const json& renewed = *step.secret;
  EXPECT_EQ(annotation(renewed, kCrlNumberAnnotation), "2");
  EXPECT_EQ(annotation(renewed, kCrlSignedAtAnnotation), format_rfc3339(half));
  // The CA itself is untouched.
  EXPECT_TRUE(data(renewed, "tls.crt") == data(created, "tls.crt"));
  EXPECT_TRUE(data(renewed, "tls.key") == data(created, "tls.key"));

  const std::string crl_pem = data(renewed, "ca.crl");
  EXPECT_TRUE(crl_is_signed_by(crl_pem, ca.issuer.certificate()));
  X509CrlPtr crl = parse_crl(crl_pem);
  ASSERT_TRUE(crl);
  EXPECT_EQ(crl_number(*crl), 2);
  EXPECT_EQ(pki::to_time_point(*X509_CRL_get0_lastUpdate(crl.get())), half);
  EXPECT_EQ(pki::to_time_point(*X509_CRL_get0_nextUpdate(crl.get())), half + 24h * 7);
  // A leaf of the CA verifies with the CRL checked.
  const auto leaf = issue_or_die(ca.issuer, payments_request(), half);
  EXPECT_THAT(pki::verify_chain(leaf.chain, {ca.issuer.certificate()}, pki::VerifyPurpose::kServer, half + 1h, crl_pem),
              IsOk());
  ASSERT_TRUE(step.next_check);
  EXPECT_EQ(*step.next_check, half + 24h * 7 / 2);
}

// A CRL of unknown age (no crl-signed-at annotation) is re-signed; a step that writes the
// Secret for another reason must not stamp it as signed now, which would let it lapse.
TEST(CaSecretStep, ResignsACrlOfUnknownAgeEvenWhenStagingARotation) {
  json secret = created_secret();
  secret["metadata"]["annotations"].erase(kCrlSignedAtAnnotation);
  secret["metadata"]["annotations"][kRotateAnnotation] = "now";
  const CaSecretStep staging = step_or_die(secret, fixed_now() + 1h);
  ASSERT_EQ(staging.reason, "RotationStaged");
  EXPECT_NE(annotation(*staging.secret, kCrlSignedAtAnnotation), format_rfc3339(fixed_now() + 1h));
  const CaSecretStep step = step_or_die(*staging.secret, fixed_now() + 1h + 1min);
  EXPECT_EQ(step.reason, "CRLRenewed");
  ASSERT_TRUE(step.secret);
  EXPECT_EQ(annotation(*step.secret, kCrlSignedAtAnnotation), format_rfc3339(fixed_now() + 1h + 1min));
}

// Someone removed the previous CA from ca.crt by hand: the retirement has nothing left to do,
// and its past time must not become the next check (a re-read every second).
TEST(CaSecretStep, IgnoresAPastRetirementWhenOnlyTheIssuingCaIsTrusted) {
  json secret = created_secret();
  secret["metadata"]["annotations"][kRetireAfterAnnotation] = format_rfc3339(fixed_now());
  const CaSecretStep step = step_or_die(secret, fixed_now() + 1h);
  EXPECT_FALSE(step.secret);
  ASSERT_TRUE(step.next_check);
  EXPECT_GT(*step.next_check, fixed_now() + 1h);
}

TEST(CaSecretStep, NextCheckIsTheRenewalWhenItComesBeforeTheCrl) {
  ClusterCaOptions options = test_options();
  options.ca.validity = 72h;  // renewal after about 48h, before the CRL's half-life (84h)
  const CaSecretStep created = step_or_die(nullptr, fixed_now(), options);
  ASSERT_TRUE(created.secret);
  const TimePoint renewal =
      pki::renewal_time(load_or_die(*created.secret, fixed_now()).issuer.certificate(), std::nullopt);
  ASSERT_LT(renewal, fixed_now() + 84h);
  ASSERT_TRUE(created.next_check);
  EXPECT_EQ(*created.next_check, renewal);
  const CaSecretStep idle = step_or_die(*created.secret, fixed_now() + 1h, options);
  EXPECT_FALSE(idle.secret);
  ASSERT_TRUE(idle.next_check);
  EXPECT_EQ(*idle.next_check, renewal);
}

TEST(CaSecretStep, NextCheckIsTheCrlWhenItComesBeforeTheRenewal) {
  const CaSecretStep created = step_or_die(nullptr, fixed_now());
  ASSERT_TRUE(created.next_check);
  EXPECT_EQ(*created.next_check, fixed_now() + 84h);
}

TEST(CaSecretStep, KeepsAnnotationsAndLabelsOthersAdded) {
  json secret = created_secret();
  secret["metadata"]["annotations"]["team"] = "platform";
  secret["metadata"]["labels"]["env"] = "prod";
  const CaSecretStep step = step_or_die(secret, fixed_now() + 84h);
  ASSERT_TRUE(step.secret);
  EXPECT_EQ(annotation(*step.secret, "team"), "platform");
  EXPECT_EQ((*step.secret)["metadata"]["labels"]["env"], "prod");
}

TEST(RevokeInCaSecret, ListsTheSerialInANewSignedCrlAndLoadsAsRevoked) {
  const json created = created_secret();
  const ClusterCa ca = load_or_die(created, fixed_now());
  const auto leaf = issue_or_die(ca.issuer, payments_request(), fixed_now());
  const TimePoint at = fixed_now() + 1h;
  auto step =
      revoke_in_ca_secret(created, leaf.leaf().serial_hex(), pki::RevocationReason::kKeyCompromise, test_options(), at);
  ASSERT_THAT(step, IsOk());
  EXPECT_EQ(step->reason, "CertificateRevoked");
  ASSERT_TRUE(step->secret);
  const json& revoked = *step->secret;
  EXPECT_EQ(annotation(revoked, kCrlNumberAnnotation), "2");
  EXPECT_EQ(annotation(revoked, kCrlSignedAtAnnotation), format_rfc3339(at));
  EXPECT_TRUE(data(revoked, "tls.crt") == data(created, "tls.crt"));
  EXPECT_TRUE(data(revoked, "tls.key") == data(created, "tls.key"));
  const ClusterCa loaded = load_or_die(revoked, at);
  EXPECT_TRUE(loaded.revoked.is_revoked(leaf.leaf().serial_hex()));
  EXPECT_THAT(
      pki::verify_chain(leaf.chain, {ca.issuer.certificate()}, pki::VerifyPurpose::kServer, at + 1min, loaded.crl_pem),
      HasCode(ErrorCode::kFailedPrecondition));
  const auto other = issue_or_die(ca.issuer, payments_request(), at);
  EXPECT_THAT(
      pki::verify_chain(other.chain, {ca.issuer.certificate()}, pki::VerifyPurpose::kServer, at + 1min, loaded.crl_pem),
      IsOk());
  // Once is enough: the second request writes nothing.
  auto again = revoke_in_ca_secret(revoked, leaf.leaf().serial_hex(), pki::RevocationReason::kSuperseded,
                                   test_options(), at + 1min);
  ASSERT_THAT(again, IsOk());
  EXPECT_FALSE(again->secret);
}

TEST(RevokeInCaSecret, KeepsAPendingRotationAndTheStagedCa) {
  const json staged = staged_secret(fixed_now() + 1h);
  json requested = staged;
  requested["metadata"]["annotations"][kRotateAnnotation] = "again";
  auto step =
      revoke_in_ca_secret(requested, "0a0b", pki::RevocationReason::kUnspecified, test_options(), fixed_now() + 2h);
  ASSERT_THAT(step, IsOk());
  ASSERT_TRUE(step->secret);
  EXPECT_EQ(annotation(*step->secret, kRotateAnnotation), "again");
  EXPECT_EQ(annotation(*step->secret, kPromoteAfterAnnotation), annotation(staged, kPromoteAfterAnnotation));
  EXPECT_TRUE(data(*step->secret, "next.crt") == data(staged, "next.crt"));
  EXPECT_TRUE(data(*step->secret, "next.key") == data(staged, "next.key"));
}

// The CRL is the persisted list: a routine re-signing keeps every entry, a CRL that does not
// load is reported rather than re-signed empty (which would un-revoke), and the CA that
// takes over starts a list of its own.
TEST(RevokeInCaSecret, EntriesOutliveReSigningAndAnUnreadableCrlIsRefused) {
  const json created = created_secret();
  const json revoked =
      *revoke_in_ca_secret(created, "0abc", pki::RevocationReason::kKeyCompromise, test_options(), fixed_now())->secret;
  const TimePoint half = fixed_now() + 24h * 7 / 2;
  const CaSecretStep renewed = step_or_die(revoked, half);
  ASSERT_EQ(renewed.reason, "CRLRenewed");
  EXPECT_TRUE(load_or_die(*renewed.secret, half).revoked.is_revoked("0abc"));

  json garbled = revoked;
  garbled["data"]["ca.crl"] = base64_encode("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n");
  EXPECT_FALSE(next_ca_secret_step(garbled, "ops", "cluster-ca", test_options(), half).ok());
  EXPECT_FALSE(revoke_in_ca_secret(garbled, "0abd", pki::RevocationReason::kUnspecified, test_options(), half).ok());
  json foreign = revoked;
  foreign["data"]["ca.crl"] = base64_encode(data(created_secret(), "ca.crl"));  // a new CA each time
  EXPECT_FALSE(next_ca_secret_step(foreign, "ops", "cluster-ca", test_options(), half).ok()) << "another CA's CRL";

  json rotating = revoked;
  rotating["metadata"]["annotations"][kRotateAnnotation] = "now";
  const json staged = *step_or_die(rotating, fixed_now() + 1h).secret;
  const CaSecretStep promoted = step_or_die(staged, fixed_now() + 2h);
  ASSERT_EQ(promoted.reason, "RotationPromoted");
  EXPECT_TRUE(load_or_die(*promoted.secret, fixed_now() + 2h).revoked.entries().empty());
}

TEST(LoadClusterCa, PutsTheIssuingCaFirstInTheBundle) {
  const json staged = staged_secret(fixed_now());
  json reordered = staged;
  const auto bundle = bundle_of(staged);
  ASSERT_EQ(bundle.size(), 2u);
  reordered["data"]["ca.crt"] = base64_encode(pki::to_pem({bundle[1], bundle[0]}));
  const ClusterCa ca = load_or_die(reordered, fixed_now());
  ASSERT_EQ(ca.trusted.size(), 2u);
  EXPECT_TRUE(ca.trusted[0] == ca.issuer.certificate());
  EXPECT_TRUE(ca.trusted[1] == bundle[1]);
  EXPECT_EQ(ca.bundle_pem, pki::to_pem(ca.trusted));
}

}  // namespace
}  // namespace sso::controller
