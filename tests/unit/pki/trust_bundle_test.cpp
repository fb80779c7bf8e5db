#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pki/renewal.hpp"
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

TEST(CaRotation, BothCasVerifyDuringTheOverlapAndOnlyTheNewAfter) {
  const auto old_ca = make_test_ca(fixed_now() - 24h, {}, "old CA");
  const auto new_ca = make_test_ca(fixed_now(), {}, "new CA");
  TrustBundle bundle(old_ca.certificate());
  const Identity old_leaf = issue_or_die(old_ca, payments_request(), fixed_now());

  const TimePoint overlap_end = fixed_now() + 48h;
  bundle.rotate_to(new_ca.certificate(), overlap_end);
  EXPECT_TRUE(bundle.issuing_ca() == new_ca.certificate());
  ASSERT_EQ(bundle.certificates().size(), 2u);

  // During the overlap a workload still on its old leaf and one on a new leaf both verify.
  const Identity new_leaf = issue_or_die(new_ca, payments_request(), fixed_now() + 1h);
  const TimePoint during = fixed_now() + 2h;
  EXPECT_FALSE(bundle.prune(during));
  EXPECT_THAT(verify_chain(old_leaf.chain, bundle.certificates(), VerifyPurpose::kServer, during), IsOk());
  EXPECT_THAT(verify_chain(new_leaf.chain, bundle.certificates(), VerifyPurpose::kClient, during), IsOk());

  // The decision re-issues leaves of the old CA.
  const std::string cert_pem = old_leaf.chain_pem();
  const std::string key_pem(old_leaf.key.to_pkcs8_pem().reveal());
  const auto trusted = bundle.certificates();
  auto decision =
      decide_reissue(RenewalInput{cert_pem, key_pem, payments_request(), bundle.issuing_ca(), trusted, during});
  ASSERT_TRUE(decision.has_value());
  EXPECT_EQ(decision->reason, ReissueReason::kCARotated);

  // After the overlap the old CA is dropped and its leaves no longer verify.
  EXPECT_TRUE(bundle.prune(overlap_end));
  ASSERT_EQ(bundle.certificates().size(), 1u);
  EXPECT_THAT(verify_chain(old_leaf.chain, bundle.certificates(), VerifyPurpose::kServer, overlap_end),
              HasCode(ErrorCode::kFailedPrecondition));
  EXPECT_THAT(verify_chain(new_leaf.chain, bundle.certificates(), VerifyPurpose::kServer, overlap_end), IsOk());
}

TEST(CaRotation, RotatingToTheIssuingCaChangesNothing) {
  const auto ca = make_test_ca(fixed_now());
  TrustBundle bundle(ca.certificate());
  bundle.rotate_to(ca.certificate(), fixed_now() + 1h);
  ASSERT_EQ(bundle.anchors().size(), 1u);
  EXPECT_FALSE(bundle.anchors()[0].retire_at.has_value());
}

TEST(CaRotation, ASecondRotationKeepsTheEarliestRetirement) {
  const auto a = make_test_ca(fixed_now(), {}, "A");
  const auto b = make_test_ca(fixed_now(), {}, "B");
  const auto c = make_test_ca(fixed_now(), {}, "C");
  TrustBundle bundle(a.certificate());
  bundle.rotate_to(b.certificate(), fixed_now() + 10h);
  bundle.rotate_to(c.certificate(), fixed_now() + 20h);
  ASSERT_EQ(bundle.anchors().size(), 3u);
  EXPECT_EQ(bundle.anchors()[1].certificate.common_name(), "B");
  EXPECT_EQ(bundle.anchors()[1].retire_at, fixed_now() + 20h);
  EXPECT_EQ(bundle.anchors()[2].certificate.common_name(), "A");
  EXPECT_EQ(bundle.anchors()[2].retire_at, fixed_now() + 10h);
  bundle.prune(fixed_now() + 15h);
  EXPECT_EQ(bundle.certificates().size(), 2u);
}

TEST(CaRotation, PruneDropsExpiredAnchorsButNeverTheIssuingCa) {
  const auto short_ca = make_test_ca(fixed_now() - 1h, {}, "short", 2h);
  const auto next = make_test_ca(fixed_now(), {}, "next", 2h);
  TrustBundle bundle(short_ca.certificate());
  bundle.rotate_to(next.certificate(), fixed_now() + 100h);
  EXPECT_TRUE(bundle.prune(fixed_now() + 90min));  // short_ca expired
  EXPECT_FALSE(bundle.prune(fixed_now() + 300h));  // next expired too, but it issues
  EXPECT_EQ(bundle.certificates().size(), 1u);
}

TEST(CaRotation, BundlePemListsTheIssuingCaFirst) {
  const auto a = make_test_ca(fixed_now(), {}, "A");
  const auto b = make_test_ca(fixed_now(), {}, "B");
  TrustBundle bundle(a.certificate());
  bundle.rotate_to(b.certificate(), fixed_now() + 1h);
  auto parsed = Certificate::chain_from_pem(bundle.to_pem());
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].common_name(), "B");
}

TEST(VerifyChain, ChecksPurposeAndTime) {
  const auto ca = make_test_ca(fixed_now());
  const Identity server_only = issue_or_die(ca, payments_request(TlsMode::kServer), fixed_now());
  EXPECT_THAT(verify_chain(server_only.chain, {ca.certificate()}, VerifyPurpose::kServer, fixed_now()), IsOk());
  EXPECT_THAT(verify_chain(server_only.chain, {ca.certificate()}, VerifyPurpose::kClient, fixed_now()),
              HasCode(ErrorCode::kFailedPrecondition));
  EXPECT_THAT(verify_chain(server_only.chain, {ca.certificate()}, VerifyPurpose::kServer, fixed_now() + 3000h),
              HasCode(ErrorCode::kFailedPrecondition));
}

}  // namespace
}  // namespace sso::pki
