#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pki/revocation.hpp"
#include "pki/trust_bundle.hpp"
#include "pki_fixtures.hpp"
#include "status_matchers.hpp"

namespace sso::pki {
namespace {

using ::sso::testing::fixed_now;
using ::sso::testing::HasCode;
using ::sso::testing::IsOk;
using ::sso::testing::issue_or_die;
using ::sso::testing::make_test_ca;
using ::sso::testing::payments_request;
using namespace std::chrono_literals;

X509CrlPtr parse_crl(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509CrlPtr(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
}

TEST(RevocationReason, ParsesRfc5280Names) {
  auto r = parse_revocation_reason("keyCompromise");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(*r, RevocationReason::kKeyCompromise);
  EXPECT_EQ(to_string(RevocationReason::kSuperseded), "superseded");
  EXPECT_THAT(parse_revocation_reason("lostIt"), HasCode(ErrorCode::kInvalidArgument));
}

TEST(RevocationList, RevokingTwiceKeepsTheFirstEntry) {
  RevocationList list;
  ASSERT_THAT(list.revoke("0A:BC", fixed_now(), RevocationReason::kKeyCompromise), IsOk());
  ASSERT_THAT(list.revoke("abc", fixed_now() + 1h, RevocationReason::kSuperseded), IsOk());
  ASSERT_EQ(list.entries().size(), 1u);
  EXPECT_EQ(list.entries()[0].reason, RevocationReason::kKeyCompromise);
  EXPECT_TRUE(list.is_revoked("0abc"));
  EXPECT_FALSE(list.is_revoked("abd"));
  EXPECT_THAT(list.revoke("not-hex", fixed_now(), RevocationReason::kUnspecified),
              HasCode(ErrorCode::kInvalidArgument));
}

TEST(SignCrl, RejectsTheRevokedLeafAndAcceptsTheOthers) {
  const auto ca = make_test_ca(fixed_now() - 1h);
  const Identity revoked = issue_or_die(ca, payments_request(), fixed_now());
  const Identity kept = issue_or_die(ca, payments_request(), fixed_now());
  RevocationList list;
  ASSERT_THAT(list.revoke(revoked.leaf().serial_hex(), fixed_now(), RevocationReason::kKeyCompromise), IsOk());
  auto crl = sign_crl(ca, list, 7, fixed_now(), fixed_now() + 24h);
  ASSERT_THAT(crl, IsOk());
  EXPECT_THAT(verify_chain(revoked.chain, {ca.certificate()}, VerifyPurpose::kServer, fixed_now() + 1h, *crl),
              HasCode(ErrorCode::kFailedPrecondition));
  EXPECT_THAT(verify_chain(kept.chain, {ca.certificate()}, VerifyPurpose::kServer, fixed_now() + 1h, *crl), IsOk());
}

TEST(SignCrl, CarriesNumberValidityAndIsSignedByTheCa) {
  const auto ca = make_test_ca(fixed_now() - 1h);
  RevocationList list;
  ASSERT_THAT(list.revoke("01", fixed_now(), RevocationReason::kSuperseded), IsOk());
  auto pem = sign_crl(ca, list, 42, fixed_now(), fixed_now() + 24h);
  ASSERT_THAT(pem, IsOk());
  X509CrlPtr crl = parse_crl(*pem);
  ASSERT_TRUE(crl);
  EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(&ca.certificate().native())), 1);
  Asn1IntegerPtr number(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr)));
  ASSERT_TRUE(number);
  EXPECT_EQ(ASN1_INTEGER_get(number.get()), 42);
  EXPECT_EQ(to_time_point(*X509_CRL_get0_nextUpdate(crl.get())), fixed_now() + 24h);
  EXPECT_EQ(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get())), 1);
}

TEST(SignCrl, AnEmptyListIsAValidCrl) {
  const auto ca = make_test_ca(fixed_now() - 1h);
  auto pem = sign_crl(ca, RevocationList{}, 1, fixed_now(), fixed_now() + 1h);
  ASSERT_THAT(pem, IsOk());
  EXPECT_TRUE(parse_crl(*pem));
  EXPECT_THAT(sign_crl(ca, RevocationList{}, 1, fixed_now(), fixed_now()), HasCode(ErrorCode::kInvalidArgument));
}

TEST(ReadCrl, GivesBackTheListItWasSignedOver) {
  const auto ca = make_test_ca(fixed_now() - 1h);
  RevocationList list;
  ASSERT_THAT(list.revoke("0a1b2c", fixed_now() - 2h, RevocationReason::kKeyCompromise), IsOk());
  ASSERT_THAT(list.revoke("ff", fixed_now() - 1h, RevocationReason::kUnspecified), IsOk());
  ASSERT_THAT(list.revoke("1234567890abcdef1234", fixed_now(), RevocationReason::kPrivilegeWithdrawn), IsOk());
  auto pem = sign_crl(ca, list, 3, fixed_now(), fixed_now() + 24h);
  ASSERT_THAT(pem, IsOk());
  auto read = read_crl(*pem, ca.certificate());
  ASSERT_THAT(read, IsOk());
  ASSERT_EQ(read->entries().size(), 3u);
  for (const auto& want : list.entries()) {
    const auto found = std::find_if(read->entries().begin(), read->entries().end(),
                                    [&](const RevokedCertificate& e) { return e.serial_hex == want.serial_hex; });
    ASSERT_NE(found, read->entries().end()) << want.serial_hex;
    EXPECT_EQ(found->revoked_at, want.revoked_at) << want.serial_hex;
    EXPECT_EQ(found->reason, want.reason) << want.serial_hex;
  }
  auto empty = read_crl(*sign_crl(ca, RevocationList{}, 1, fixed_now(), fixed_now() + 1h), ca.certificate());
  ASSERT_THAT(empty, IsOk());
  EXPECT_TRUE(empty->entries().empty());
}

TEST(ReadCrl, RefusesAnotherCasCrlAndWhatIsNotACrl) {
  const auto ca = make_test_ca(fixed_now() - 1h);
  const auto other = make_test_ca(fixed_now() - 1h);
  auto pem = sign_crl(other, RevocationList{}, 1, fixed_now(), fixed_now() + 1h);
  ASSERT_THAT(pem, IsOk());
  EXPECT_THAT(read_crl(*pem, ca.certificate()), HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(read_crl(ca.certificate().to_pem(), ca.certificate()), HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(read_crl("", ca.certificate()), HasCode(ErrorCode::kInvalidArgument));
  std::string garbled = *sign_crl(ca, RevocationList{}, 1, fixed_now(), fixed_now() + 1h);
  garbled[garbled.size() / 2] = garbled[garbled.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(read_crl(garbled, ca.certificate()).ok());
}

}  // namespace
}  // namespace sso::pki
