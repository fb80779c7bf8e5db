#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pki/renewal.hpp"
#include "pki_fixtures.hpp"
#include "status_matchers.hpp"

namespace sso::pki {
namespace {

using ::sso::testing::fixed_now;
using ::sso::testing::issue_or_die;
using ::sso::testing::make_test_ca;
using ::sso::testing::payments_request;
using namespace std::chrono_literals;

// One place holding what a Secret would: the tests change one thing at a time.
struct Scenario {
  CertificateAuthority ca = make_test_ca(fixed_now() - 24h);
  IdentityRequest request = payments_request();
  Identity current = issue_or_die(ca, request, fixed_now());
  std::string cert_pem = current.chain_pem();
  std::string key_pem = std::string(current.key.to_pkcs8_pem().reveal());
  std::vector<Certificate> trusted = {ca.certificate()};

  std::optional<ReissueDecision> decide(TimePoint now = fixed_now(), const Certificate* issuing = nullptr) const {
    return decide_reissue(
        RenewalInput{cert_pem, key_pem, request, issuing ? *issuing : ca.certificate(), trusted, now});
  }
};

std::optional<ReissueReason> reason_of(const std::optional<ReissueDecision>& d) {
  return d ? std::optional(d->reason) : std::nullopt;
}

TEST(DecideReissue, KeepsAFreshMatchingIdentity) {
  Scenario s;
  EXPECT_EQ(reason_of(s.decide()), std::nullopt);
}

TEST(DecideReissue, MissingCertificateOrKey) {
  Scenario s;
  auto no_cert =
      decide_reissue(RenewalInput{std::nullopt, s.key_pem, s.request, s.ca.certificate(), s.trusted, fixed_now()});
  EXPECT_EQ(reason_of(no_cert), ReissueReason::kMissingData);
  auto no_key = decide_reissue(
      RenewalInput{s.cert_pem, std::string_view(), s.request, s.ca.certificate(), s.trusted, fixed_now()});
  EXPECT_EQ(reason_of(no_key), ReissueReason::kMissingData);
}

TEST(DecideReissue, ACertificateOnTheIssuingCasCrl) {
  Scenario s;
  const HeldIdentity held = read_held_identity(s.cert_pem, s.key_pem);
  RevocationList revoked;
  ASSERT_TRUE(revoked.revoke("01", fixed_now(), RevocationReason::kSuperseded).ok());
  auto decide = [&] {
    return decide_reissue(HeldRenewalInput{held, s.request, s.ca.certificate(), s.trusted, fixed_now(), &revoked});
  };
  EXPECT_EQ(reason_of(decide()), std::nullopt) << "another serial";
  ASSERT_TRUE(revoked.revoke(s.current.leaf().serial_hex(), fixed_now(), RevocationReason::kKeyCompromise).ok());
  const auto decision = decide();
  EXPECT_EQ(reason_of(decision), ReissueReason::kRevoked);
  EXPECT_THAT(decision->message, ::testing::HasSubstr(s.current.leaf().serial_hex()));
  // A serial is a CA's own: the same number on another CA's list says nothing of this leaf.
  const auto other = make_test_ca(fixed_now() - 24h, {}, "other CA");
  const std::vector<Certificate> both = {other.certificate(), s.ca.certificate()};
  EXPECT_EQ(
      reason_of(decide_reissue(HeldRenewalInput{held, s.request, other.certificate(), both, fixed_now(), &revoked})),
      ReissueReason::kCARotated);
}

TEST(DecideReissue, UnparsableData) {
  Scenario s;
  s.cert_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  EXPECT_EQ(reason_of(s.decide()), ReissueReason::kInvalidData);
  Scenario t;
  t.key_pem = "garbage";
  EXPECT_EQ(reason_of(t.decide()), ReissueReason::kInvalidData);
}

TEST(DecideReissue, KeyThatIsNotTheCertificates) {
  Scenario s;
  auto other = PrivateKey::generate({});
  ASSERT_TRUE(other.ok());
  s.key_pem = std::string(other->to_pkcs8_pem().reveal());
  EXPECT_EQ(reason_of(s.decide()), ReissueReason::kKeyMismatch);
}

TEST(DecideReissue, SignedByAnUnknownCa) {
  Scenario s;
  const auto stranger = make_test_ca(fixed_now() - 24h, {}, "stranger CA");
  const Identity foreign = issue_or_die(stranger, s.request, fixed_now());
  s.cert_pem = foreign.chain_pem();
  s.key_pem = std::string(foreign.key.to_pkcs8_pem().reveal());
  const auto decision = s.decide();
  EXPECT_EQ(reason_of(decision), ReissueReason::kIssuerMismatch);
  EXPECT_THAT(decision->message, ::testing::HasSubstr("stranger CA"));
}

TEST(DecideReissue, SignedByThePreviousCaDuringRotation) {
  Scenario s;
  const auto next = make_test_ca(fixed_now() - 1h, {}, "next CA");
  s.trusted = {next.certificate(), s.ca.certificate()};
  EXPECT_EQ(reason_of(s.decide(fixed_now(), &next.certificate())), ReissueReason::kCARotated);
}

TEST(DecideReissue, IdentityDrift) {
  for (auto mutate : std::vector<std::function<void(IdentityRequest&)>>{
           [](IdentityRequest& r) { r.dns_names.push_back("payments.example.com"); },
           [](IdentityRequest& r) { r.dns_names.pop_back(); },
           [](IdentityRequest& r) { r.spiffe_id = "spiffe://cluster.local/ns/shop/sa/other"; },
           [](IdentityRequest& r) { r.spiffe_id.clear(); },
           [](IdentityRequest& r) { r.common_name = "renamed"; },
           [](IdentityRequest& r) { r.ip_addresses = {"10.0.0.1"}; },
       }) {
    Scenario s;
    mutate(s.request);
    EXPECT_EQ(reason_of(s.decide()), ReissueReason::kIdentityChanged);
  }
}

TEST(DecideReissue, DnsNameOrderDoesNotMatter) {
  Scenario s;
  std::reverse(s.request.dns_names.begin(), s.request.dns_names.end());
  EXPECT_EQ(reason_of(s.decide()), std::nullopt);
}

TEST(DecideReissue, TlsModeChangeIsAUsageChange) {
  Scenario s;
  s.request.mode = TlsMode::kServer;
  EXPECT_EQ(reason_of(s.decide()), ReissueReason::kUsageChanged);
}

TEST(DecideReissue, AlgorithmOrSizeDrift) {
  Scenario s;
  s.request.key = {KeyAlgorithm::kECDSA, 384};
  EXPECT_EQ(reason_of(s.decide()), ReissueReason::kKeyAlgorithmChanged);
  Scenario t;
  t.request.key = {KeyAlgorithm::kEd25519, 0};
  EXPECT_EQ(reason_of(t.decide()), ReissueReason::kKeyAlgorithmChanged);
}

TEST(DecideReissue, InsideTheRenewalWindow) {
  Scenario s;  // 2160h lifetime (plus 5m backdating): renews a third before the end
  const TimePoint renew_at = renewal_time(s.current.leaf(), std::nullopt);
  EXPECT_EQ(reason_of(s.decide(renew_at - 1s)), std::nullopt);
  EXPECT_EQ(reason_of(s.decide(renew_at)), ReissueReason::kRenewalDue);
  s.request.renew_before = 24h;
  EXPECT_EQ(reason_of(s.decide(renew_at)), std::nullopt) << "a shorter renewBefore moves the window later";
  EXPECT_EQ(reason_of(s.decide(s.current.leaf().not_after() - 24h)), ReissueReason::kRenewalDue);
}

TEST(DecideReissue, PastExpiry) {
  Scenario s;
  EXPECT_EQ(reason_of(s.decide(s.current.leaf().not_after())), ReissueReason::kExpired);
}

TEST(DecideReissue, ReasonsHaveStableNames) {
  std::set<std::string> names;
  for (auto r : kAllReissueReasons) names.insert(std::string(to_string(r)));
  EXPECT_EQ(names.size(), std::size(kAllReissueReasons));
  EXPECT_EQ(to_string(ReissueReason::kRenewalDue), "RenewalDue");
  EXPECT_EQ(to_string(ReissueReason::kCARotated), "CARotated");
}

// A reconciler keeps what it read of each tls.key. What it kept must never hide a key that is
// not the certificate's, whichever half of the pair changed, though each key was seen matching.
TEST(KeyFactsCache, StillFindsAKeyThatIsNotTheCertificatesAfterSeeingItMatchAnother) {
  Scenario s;
  const Identity other = issue_or_die(s.ca, s.request, fixed_now());
  const std::string other_key = std::string(other.key.to_pkcs8_pem().reveal());
  KeyFactsCache cache;
  const auto decide = [&](const std::string& cert_pem, const std::string& key_pem) {
    const HeldIdentity held = read_held_identity(cert_pem, key_pem, &cache);
    return reason_of(decide_reissue(HeldRenewalInput{held, s.request, s.ca.certificate(), s.trusted, fixed_now()}));
  };
  EXPECT_EQ(decide(s.cert_pem, s.key_pem), std::nullopt);
  EXPECT_EQ(decide(other.chain_pem(), other_key), std::nullopt);
  // Twice each: the second answer comes from the cache (a failed write shows the same pair again).
  for (int pass = 0; pass < 2; ++pass) {
    EXPECT_EQ(decide(s.cert_pem, other_key), ReissueReason::kKeyMismatch) << "pass " << pass;
    EXPECT_EQ(decide(other.chain_pem(), s.key_pem), ReissueReason::kKeyMismatch) << "pass " << pass;
  }
  EXPECT_EQ(decide(s.cert_pem, s.key_pem), std::nullopt);
  EXPECT_EQ(cache.size(), 4u);
}

TEST(KeyFactsCache, DecidesAsTheDecisionFromPem) {
  const auto p384 = PrivateKey::generate({KeyAlgorithm::kECDSA, 384});
  ASSERT_TRUE(p384.ok());
  struct Row {
    const char* name;
    std::function<void(Scenario&)> mutate;
    std::optional<ReissueReason> want;
  };
  for (const Row& row : {
           Row{"fresh", [](Scenario&) {}, std::nullopt},
           Row{"another key", [&](Scenario& s) { s.key_pem = std::string(p384->to_pkcs8_pem().reveal()); },
               ReissueReason::kKeyMismatch},
           Row{"garbage key", [](Scenario& s) { s.key_pem = "garbage"; }, ReissueReason::kInvalidData},
           Row{"no key", [](Scenario& s) { s.key_pem.clear(); }, ReissueReason::kMissingData},
           Row{"garbage certificate", [](Scenario& s) { s.cert_pem = "garbage"; }, ReissueReason::kInvalidData},
           Row{"algorithm drift",
               [](Scenario& s) {
                 s.request.key = {KeyAlgorithm::kECDSA, 384};
               },
               ReissueReason::kKeyAlgorithmChanged},
       }) {
    Scenario s;
    row.mutate(s);
    KeyFactsCache cache;
    for (const char* pass : {"cold", "warm"}) {
      const HeldIdentity held = read_held_identity(s.cert_pem, s.key_pem, &cache);
      const auto cached = decide_reissue(HeldRenewalInput{held, s.request, s.ca.certificate(), s.trusted, fixed_now()});
      const auto from_pem = s.decide();
      EXPECT_EQ(reason_of(cached), row.want) << row.name << ", " << pass;
      EXPECT_EQ(reason_of(from_pem), row.want) << row.name;
      if (cached && from_pem) {
        EXPECT_EQ(cached->message, from_pem->message) << row.name << ", " << pass;
      }
    }
  }
}

TEST(KeyFactsCache, HoldsNoMoreThanItsCapacity) {
  Scenario s;
  KeyFactsCache cache(2);
  for (int i = 0; i < 5; ++i) {
    const auto key = PrivateKey::generate({});
    ASSERT_TRUE(key.ok());
    EXPECT_FALSE(cache.facts_of(key->to_pkcs8_pem().reveal(), s.current.leaf()).matches_leaf);
    EXPECT_LE(cache.size(), 2u);
  }
  EXPECT_TRUE(cache.facts_of(s.key_pem, s.current.leaf()).matches_leaf);
  EXPECT_LE(cache.size(), 2u);
}

// The rows of cert-manager's pkg/util/pki/renewaltime_test.go, restated.
TEST(RenewalTime, FollowsCertManager) {
  const TimePoint nb = fixed_now();
  struct Row {
    const char* name;
    std::chrono::seconds lifetime;
    std::optional<std::chrono::seconds> renew_before;
    std::chrono::seconds want_before_expiry;
  };
  for (const Row& row : {
           Row{"default is a third of the lifetime", 3h, std::nullopt, 1h},
           Row{"renewBefore is honoured", 3h, 30min, 30min},
           Row{"renewBefore not shorter than the lifetime falls back", 3h, 4h, 1h},
           Row{"renewBefore equal to the lifetime falls back", 3h, 3h, 1h},
           Row{"long certificate", 2160h, 720h, 720h},
       }) {
    EXPECT_EQ(renewal_time(nb, nb + row.lifetime, row.renew_before), nb + row.lifetime - row.want_before_expiry)
        << row.name;
  }
}

TEST(RenewalTime, TruncatesToWholeSeconds) {
  const TimePoint nb = fixed_now();
  const TimePoint na = nb + 10s;  // a third is 3.33s
  const TimePoint got = renewal_time(nb, na, std::nullopt);
  EXPECT_EQ(got, std::chrono::time_point_cast<std::chrono::seconds>(got));
}

}  // namespace
}  // namespace sso::pki
