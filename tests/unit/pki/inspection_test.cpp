#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pki/inspection.hpp"
#include "pki/renewal.hpp"
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
using ::testing::ElementsAre;

TEST(InspectPem, ReportsIdentityValidityAndKeyMatch) {
  const auto ca = make_test_ca(fixed_now());
  const Identity identity = issue_or_die(ca, payments_request(), fixed_now());
  const std::string combined = identity.chain_pem() + std::string(identity.key.to_pkcs8_pem().reveal());
  auto report = inspect_pem(combined);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->common_name, "payments.shop.svc");
  EXPECT_EQ(report->spiffe_id, "spiffe://cluster.local/ns/shop/sa/payments");
  EXPECT_EQ(report->issuer, ca.certificate().subject());
  EXPECT_EQ(report->serial_hex, identity.leaf().serial_hex());
  EXPECT_EQ(report->renewal_time, renewal_time(identity.leaf(), std::nullopt));
  EXPECT_EQ(report->fingerprint_sha256, identity.leaf().fingerprint_sha256());
  EXPECT_EQ(report->public_key, "ECDSA P-256");
  EXPECT_THAT(report->extended_key_usages, ElementsAre("serverAuth", "clientAuth"));
  EXPECT_EQ(report->key_matches, true);
}

TEST(InspectPem, SaysWhenTheKeyDoesNotMatch) {
  const auto ca = make_test_ca(fixed_now());
  const Identity a = issue_or_die(ca, payments_request(), fixed_now());
  const Identity b = issue_or_die(ca, payments_request(), fixed_now());
  auto report = inspect_pem(a.chain_pem(), b.key.to_pkcs8_pem().reveal());
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->key_matches, false);
  auto without_key = inspect_pem(a.chain_pem());
  ASSERT_THAT(without_key, IsOk());
  EXPECT_EQ(without_key->key_matches, std::nullopt);
}

TEST(InspectPem, RefusesGarbage) {
  EXPECT_THAT(inspect_pem(""), HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(inspect_pem("hello"), HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(inspect_pem("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
              HasCode(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace sso::pki
