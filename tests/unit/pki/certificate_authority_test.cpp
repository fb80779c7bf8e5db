#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "fixture_files.hpp"
#include "pki/certificate_authority.hpp"
#include "pki/trust_bundle.hpp"
#include "pki_fixtures.hpp"
#include "status_matchers.hpp"

namespace sso::pki {
namespace {

using ::sso::testing::cert_fixture;
using ::sso::testing::fixed_now;
using ::sso::testing::HasCode;
using ::sso::testing::IsOk;
using ::sso::testing::make_test_ca;
using ::sso::testing::payments_request;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using namespace std::chrono_literals;

TEST(CreateCa, IsASelfSignedRootWithCaExtensions) {
  auto ca = CertificateAuthority::create(CaOptions{}, fixed_now());
  ASSERT_THAT(ca, IsOk());
  const Certificate& cert = ca->certificate();
  EXPECT_TRUE(cert.is_ca());
  EXPECT_TRUE(cert.is_self_signed());
  EXPECT_EQ(cert.common_name(), "secureservice-operator CA");
  EXPECT_THAT(cert.key_usages(), UnorderedElementsAre("keyCertSign", "cRLSign"));
  EXPECT_FALSE(cert.subject_key_id_hex().empty());
  EXPECT_EQ(cert.authority_key_id_hex(), cert.subject_key_id_hex());
  EXPECT_EQ(cert.not_after(), fixed_now() + std::chrono::hours(24 * 365 * 10));
  EXPECT_LE(cert.not_before(), fixed_now());
  EXPECT_EQ(ca->key().spec(), (KeySpec{KeyAlgorithm::kECDSA, 256}));
  EXPECT_EQ(cert.serial_hex().size(), 32u) << "128-bit serial";
}

TEST(CreateCa, MakesEveryOfferedAlgorithm) {
  for (const KeySpec& spec :
       {KeySpec{KeyAlgorithm::kECDSA, 384}, KeySpec{KeyAlgorithm::kRSA, 2048}, KeySpec{KeyAlgorithm::kEd25519, 0}}) {
    CaOptions options;
    options.key = spec;
    auto ca = CertificateAuthority::create(options, fixed_now());
    ASSERT_THAT(ca, IsOk()) << describe(spec);
    auto pub = ca->certificate().public_key_spec();
    ASSERT_THAT(pub, IsOk());
    EXPECT_EQ(*pub, spec);
  }
}

TEST(CreateCa, RefusesAValidityUnderAnHour) {
  CaOptions options;
  options.validity = 30min;
  EXPECT_THAT(CertificateAuthority::create(options, fixed_now()), HasCode(ErrorCode::kInvalidArgument));
}

TEST(LoadCa, RoundTripsThroughPem) {
  const auto made = make_test_ca(fixed_now());
  auto loaded = CertificateAuthority::load(made.certificate().to_pem(), made.key_pem().reveal(), fixed_now());
  ASSERT_THAT(loaded, IsOk());
  EXPECT_TRUE(loaded->certificate() == made.certificate());
}

TEST(LoadCa, LoadsARootMadeByOpenssl) {
  auto ca =
      CertificateAuthority::load(cert_fixture("openssl-root-ca.crt"), cert_fixture("openssl-root-ca.key"), fixed_now());
  ASSERT_THAT(ca, IsOk());
  auto identity = ca->issue(payments_request(), fixed_now());
  ASSERT_THAT(identity, IsOk());
  EXPECT_THAT(verify_chain(identity->chain, {ca->certificate()}, VerifyPurpose::kServer, fixed_now()), IsOk());
}

TEST(LoadCa, RefusesACertificateThatIsNotACa) {
  auto ca = CertificateAuthority::load(cert_fixture("openssl-leaf.crt"), cert_fixture("openssl-leaf.key"), fixed_now());
  ASSERT_THAT(ca, HasCode(ErrorCode::kFailedPrecondition));
  EXPECT_THAT(ca.error().describe(), HasSubstr("not a CA"));
}

TEST(LoadCa, RefusesAKeyThatDoesNotMatch) {
  auto ca =
      CertificateAuthority::load(cert_fixture("openssl-root-ca.crt"), cert_fixture("openssl-leaf.key"), fixed_now());
  ASSERT_THAT(ca, HasCode(ErrorCode::kFailedPrecondition));
  EXPECT_THAT(ca.error().describe(), HasSubstr("does not match"));
}

TEST(LoadCa, RefusesAnExpiredCa) {
  const auto old = make_test_ca(fixed_now() - std::chrono::hours(24 * 400), {}, "old CA", std::chrono::hours(24 * 365));
  auto ca = CertificateAuthority::load(old.certificate().to_pem(), old.key_pem().reveal(), fixed_now());
  ASSERT_THAT(ca, HasCode(ErrorCode::kFailedPrecondition));
  EXPECT_THAT(ca.error().describe(), HasSubstr("expired"));
}

TEST(LoadCa, RefusesACaNotYetValid) {
  const auto future = make_test_ca(fixed_now() + std::chrono::hours(48));
  EXPECT_THAT(CertificateAuthority::load(future.certificate().to_pem(), future.key_pem().reveal(), fixed_now()),
              HasCode(ErrorCode::kFailedPrecondition));
}

TEST(LoadCa, NamesTheFieldOfGarbageInput) {
  const auto ca = make_test_ca(fixed_now());
  auto bad_cert = CertificateAuthority::load("garbage", ca.key_pem().reveal(), fixed_now());
  ASSERT_THAT(bad_cert, HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad_cert.error().describe(), HasSubstr("tls.crt"));
  auto bad_key = CertificateAuthority::load(ca.certificate().to_pem(), "garbage", fixed_now());
  ASSERT_THAT(bad_key, HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad_key.error().describe(), HasSubstr("tls.key"));
}

TEST(Issue, CarriesTheRequestedIdentity) {
  const auto ca = make_test_ca(fixed_now());
  auto identity = ca.issue(payments_request(), fixed_now());
  ASSERT_THAT(identity, IsOk());
  const Certificate& leaf = identity->leaf();
  EXPECT_EQ(leaf.common_name(), "payments.shop.svc");
  EXPECT_THAT(leaf.dns_names(),
              ElementsAre("payments", "payments.shop", "payments.shop.svc", "payments.shop.svc.cluster.local"));
  EXPECT_EQ(leaf.spiffe_id(), "spiffe://cluster.local/ns/shop/sa/payments");
  EXPECT_FALSE(leaf.is_ca());
  EXPECT_TRUE(leaf.is_signed_by(ca.certificate()));
  EXPECT_TRUE(leaf.matches_key(identity->key));
  EXPECT_EQ(leaf.authority_key_id_hex(), ca.certificate().subject_key_id_hex());
  EXPECT_EQ(identity->chain.size(), 1u) << "a root stays out of tls.crt";
}

TEST(Issue, MutualModeAddsClientAuthAndServerModeDoesNot) {
  const auto ca = make_test_ca(fixed_now());
  auto mutual = ca.issue(payments_request(TlsMode::kMutual), fixed_now());
  auto server = ca.issue(payments_request(TlsMode::kServer), fixed_now());
  ASSERT_THAT(mutual, IsOk());
  ASSERT_THAT(server, IsOk());
  EXPECT_THAT(mutual->leaf().extended_key_usages(), UnorderedElementsAre("serverAuth", "clientAuth"));
  EXPECT_THAT(server->leaf().extended_key_usages(), ElementsAre("serverAuth"));
}

TEST(Issue, KeyUsageFollowsTheAlgorithm) {
  const auto ca = make_test_ca(fixed_now());
  auto ec = ca.issue(payments_request(TlsMode::kMutual, {KeyAlgorithm::kECDSA, 256}), fixed_now());
  auto rsa = ca.issue(payments_request(TlsMode::kMutual, {KeyAlgorithm::kRSA, 2048}), fixed_now());
  auto ed = ca.issue(payments_request(TlsMode::kMutual, {KeyAlgorithm::kEd25519, 0}), fixed_now());
  ASSERT_THAT(ec, IsOk());
  ASSERT_THAT(rsa, IsOk());
  ASSERT_THAT(ed, IsOk());
  EXPECT_THAT(ec->leaf().key_usages(), ElementsAre("digitalSignature"));
  EXPECT_THAT(rsa->leaf().key_usages(), UnorderedElementsAre("digitalSignature", "keyEncipherment"));
  EXPECT_THAT(ed->leaf().key_usages(), ElementsAre("digitalSignature"));
  EXPECT_EQ(ed->key.spec().algorithm, KeyAlgorithm::kEd25519);
}

TEST(Issue, BackdatesNotBeforeAndCapsNotAfterAtTheCa) {
  const auto ca = make_test_ca(fixed_now() - 1h, {}, "short CA", 1000h);
  auto identity = ca.issue(payments_request(), fixed_now());
  ASSERT_THAT(identity, IsOk());
  EXPECT_EQ(identity->leaf().not_before(), fixed_now() - kClockSkewAllowance);
  EXPECT_EQ(identity->leaf().not_after(), ca.certificate().not_after()) << "2160h asked, the CA ends sooner";
}

TEST(Issue, DrawsA128BitSerialEachTime) {
  const auto ca = make_test_ca(fixed_now());
  std::set<std::string> serials;
  for (int i = 0; i < 20; ++i) {
    auto identity = ca.issue(payments_request(), fixed_now());
    ASSERT_THAT(identity, IsOk());
    EXPECT_EQ(identity->leaf().serial_hex().size(), 32u);
    serials.insert(identity->leaf().serial_hex());
  }
  EXPECT_EQ(serials.size(), 20u);
}

TEST(Issue, ReusesTheKeyWhenAsked) {
  const auto ca = make_test_ca(fixed_now());
  auto first = ca.issue(payments_request(), fixed_now());
  ASSERT_THAT(first, IsOk());
  auto second = ca.issue(payments_request(), fixed_now() + 1h, first->key);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->key.public_key_der(), first->key.public_key_der());
  EXPECT_NE(second->leaf().serial_hex(), first->leaf().serial_hex());
  auto wrong_kind = ca.issue(payments_request(TlsMode::kMutual, {KeyAlgorithm::kECDSA, 384}), fixed_now(), first->key);
  EXPECT_THAT(wrong_kind, HasCode(ErrorCode::kInvalidArgument));
}

TEST(Issue, FromAnIntermediateCarriesItInTheChain) {
  auto intermediate = CertificateAuthority::load(cert_fixture("openssl-intermediate-ca.crt"),
                                                 cert_fixture("openssl-intermediate-ca.key"), fixed_now());
  ASSERT_THAT(intermediate, IsOk());
  auto identity = intermediate->issue(payments_request(), fixed_now());
  ASSERT_THAT(identity, IsOk());
  ASSERT_EQ(identity->chain.size(), 2u);
  EXPECT_TRUE(identity->chain[1] == intermediate->certificate());
  auto root = Certificate::from_pem(cert_fixture("openssl-root-ca.crt"));
  ASSERT_THAT(root, IsOk());
  EXPECT_THAT(verify_chain(identity->chain, {*root}, VerifyPurpose::kServer, fixed_now()), IsOk());
}

TEST(Issue, RefusesAnExpiredCa) {
  const auto ca = make_test_ca(fixed_now() - 2000h, {}, "old CA", 1000h);
  EXPECT_THAT(ca.issue(payments_request(), fixed_now()), HasCode(ErrorCode::kFailedPrecondition));
}

TEST(Issue, RefusesBadRequestsNamingTheField) {
  const auto ca = make_test_ca(fixed_now());
  struct Row {
    const char* name;
    std::function<void(IdentityRequest&)> mutate;
    const char* field;
  };
  const Row rows[] = {
      {"no names",
       [](IdentityRequest& r) {
         r.dns_names.clear();
         r.spiffe_id.clear();
       },
       "dnsNames"},
      {"bad DNS name", [](IdentityRequest& r) { r.dns_names.push_back("under_score.example"); }, "dnsNames[4]"},
      {"empty DNS name", [](IdentityRequest& r) { r.dns_names.push_back(""); }, "dnsNames[4]"},
      {"label too long", [](IdentityRequest& r) { r.dns_names.push_back(std::string(64, 'a') + ".x"); }, "dnsNames[4]"},
      {"SPIFFE without scheme", [](IdentityRequest& r) { r.spiffe_id = "cluster.local/ns/shop/sa/x"; }, "spiffeID"},
      {"SPIFFE uppercase trust domain", [](IdentityRequest& r) { r.spiffe_id = "spiffe://Cluster.local/ns/a"; },
       "spiffeID"},
      {"SPIFFE dot segment", [](IdentityRequest& r) { r.spiffe_id = "spiffe://td/ns/../sa"; }, "spiffeID"},
      {"SPIFFE empty segment", [](IdentityRequest& r) { r.spiffe_id = "spiffe://td/ns//sa"; }, "spiffeID"},
      {"SPIFFE no path", [](IdentityRequest& r) { r.spiffe_id = "spiffe://td"; }, "spiffeID"},
      {"duration too short", [](IdentityRequest& r) { r.duration = 30min; }, "duration"},
      {"renewBefore not less than duration",
       [](IdentityRequest& r) {
         r.duration = 24h;
         r.renew_before = 24h;
       },
       "renewBefore"},
      {"renewBefore too short", [](IdentityRequest& r) { r.renew_before = 1min; }, "renewBefore"},
      {"common name too long", [](IdentityRequest& r) { r.common_name = std::string(65, 'c'); }, "commonName"},
      {"unsupported key size",
       [](IdentityRequest& r) {
         r.key = {KeyAlgorithm::kRSA, 1024};
       },
       "privateKey"},
  };
  for (const Row& row : rows) {
    IdentityRequest request = payments_request();
    row.mutate(request);
    auto identity = ca.issue(request, fixed_now());
    ASSERT_THAT(identity, HasCode(ErrorCode::kInvalidArgument)) << row.name;
    EXPECT_THAT(identity.error().describe(), HasSubstr(row.field)) << row.name;
  }
}

TEST(Issue, AcceptsAWildcardAndAnEmptyCommonName) {
  const auto ca = make_test_ca(fixed_now());
  IdentityRequest request = payments_request();
  request.common_name.clear();
  request.dns_names.push_back("*.payments.shop.svc");
  auto identity = ca.issue(request, fixed_now());
  ASSERT_THAT(identity, IsOk());
  EXPECT_EQ(identity->leaf().common_name(), "");
  EXPECT_EQ(identity->leaf().dns_names().back(), "*.payments.shop.svc");
}

TEST(Issue, CarriesIpAddressSans) {
  const auto ca = make_test_ca(fixed_now());
  IdentityRequest request = payments_request();
  request.ip_addresses = {"127.0.0.1", "::1"};
  auto identity = ca.issue(request, fixed_now());
  ASSERT_THAT(identity, IsOk());
  EXPECT_THAT(identity->leaf().ip_addresses(), ElementsAre("127.0.0.1", "::1"));
  request.ip_addresses = {"127.0.0.300"};
  auto bad = ca.issue(request, fixed_now());
  ASSERT_THAT(bad, HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad.error().describe(), HasSubstr("ipAddresses[0]"));
}

TEST(MakeSpiffeId, BuildsTheKubernetesForm) {
  auto id = make_spiffe_id("cluster.local", "shop", "payments");
  ASSERT_THAT(id, IsOk());
  EXPECT_EQ(*id, "spiffe://cluster.local/ns/shop/sa/payments");
  EXPECT_THAT(make_spiffe_id("Cluster.Local", "shop", "payments"), HasCode(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace sso::pki
