#include "controller/status.hpp"

#include <gmock/gmock.h>

#include "pki_fixtures.hpp"

namespace sso::controller {
namespace {

using nlohmann::json;
using ::sso::testing::fixed_now;
using namespace std::chrono_literals;

std::vector<Condition> all_true() {
  return {{kCertificateReady, true, "Issued", "the certificate is valid"},
          {kNetworkPolicyReady, true, "Applied", "the NetworkPolicy is in place"},
          {kMeshReady, true, "NotConfigured", "no mesh"}};
}

json condition(const json& status, const std::string& type) {
  for (const auto& c : status["conditions"])
    if (c["type"] == type) return c;
  return nullptr;
}

TEST(BuildStatus, ReadyIsTrueWhenEveryConditionIs) {
  const json status = build_status(nullptr, 3, all_true(), std::nullopt, fixed_now());
  const json ready = condition(status, kReady);
  ASSERT_TRUE(ready.is_object());
  EXPECT_EQ(ready["status"], "True");
  EXPECT_EQ(ready["reason"], "Ready");
  // Ready comes first, then the others in the order given.
  ASSERT_EQ(status["conditions"].size(), 4u);
  EXPECT_EQ(status["conditions"][0]["type"], kReady);
  EXPECT_EQ(status["conditions"][1]["type"], kCertificateReady);
  EXPECT_EQ(status["conditions"][3]["type"], kMeshReady);
}

TEST(BuildStatus, ReadyIsFalseWithTheFirstFailingConditionsReasonAndMessage) {
  std::vector<Condition> conditions = all_true();
  conditions[1] = {kNetworkPolicyReady, false, "WriteFailed", "networkpolicies is forbidden"};
  conditions[2] = {kMeshReady, false, "MeshNotInstalled", "Istio CRDs are missing"};
  const json status = build_status(nullptr, 3, conditions, std::nullopt, fixed_now());
  const json ready = condition(status, kReady);
  EXPECT_EQ(ready["status"], "False");
  EXPECT_EQ(ready["reason"], "WriteFailed");
  EXPECT_EQ(ready["message"], "networkpolicies is forbidden");
  EXPECT_EQ(condition(status, kNetworkPolicyReady)["status"], "False");
  EXPECT_EQ(condition(status, kCertificateReady)["status"], "True");
}

TEST(BuildStatus, ReadyIsFalseWhenOnlyTheLastConditionFails) {
  std::vector<Condition> conditions = all_true();
  conditions.back().status = false;
  conditions.back().reason = "MeshNotInstalled";
  const json ready = condition(build_status(nullptr, 1, conditions, std::nullopt, fixed_now()), kReady);
  EXPECT_EQ(ready["status"], "False");
  EXPECT_EQ(ready["reason"], "MeshNotInstalled");
}

TEST(BuildStatus, SetsObservedGenerationOnTheStatusAndEachCondition) {
  const json status = build_status(nullptr, 7, all_true(), std::nullopt, fixed_now());
  EXPECT_EQ(status["observedGeneration"], 7);
  for (const auto& c : status["conditions"]) EXPECT_EQ(c["observedGeneration"], 7) << c["type"];
}

TEST(BuildStatus, NewConditionsTransitionNow) {
  const json status = build_status(json::object(), 1, all_true(), std::nullopt, fixed_now());
  for (const auto& c : status["conditions"]) EXPECT_EQ(c["lastTransitionTime"], format_rfc3339(fixed_now()));
}

TEST(BuildStatus, KeepsLastTransitionTimeWhileTheStatusIsUnchanged) {
  const json before = build_status(nullptr, 1, all_true(), std::nullopt, fixed_now());
  std::vector<Condition> conditions = all_true();
  conditions[0].message = "the certificate was renewed";  // a new message is no transition
  const json after = build_status(before, 2, conditions, std::nullopt, fixed_now() + 1h);
  for (const auto& c : after["conditions"])
    EXPECT_EQ(c["lastTransitionTime"], format_rfc3339(fixed_now())) << c["type"];
  EXPECT_EQ(condition(after, kCertificateReady)["message"], "the certificate was renewed");
  EXPECT_EQ(condition(after, kCertificateReady)["observedGeneration"], 2);
}

TEST(BuildStatus, ChangesLastTransitionTimeWhenTheStatusChanges) {
  const json before = build_status(nullptr, 1, all_true(), std::nullopt, fixed_now());
  std::vector<Condition> conditions = all_true();
  conditions[0] = {kCertificateReady, false, "IssueFailed", "the CA Secret is missing"};
  const json after = build_status(before, 1, conditions, std::nullopt, fixed_now() + 1h);
  EXPECT_EQ(condition(after, kCertificateReady)["lastTransitionTime"], format_rfc3339(fixed_now() + 1h));
  EXPECT_EQ(condition(after, kReady)["lastTransitionTime"], format_rfc3339(fixed_now() + 1h));
  EXPECT_EQ(condition(after, kNetworkPolicyReady)["lastTransitionTime"], format_rfc3339(fixed_now()));
  // And back: another transition.
  const json again = build_status(after, 1, all_true(), std::nullopt, fixed_now() + 2h);
  EXPECT_EQ(condition(again, kCertificateReady)["lastTransitionTime"], format_rfc3339(fixed_now() + 2h));
  EXPECT_EQ(condition(again, kReady)["lastTransitionTime"], format_rfc3339(fixed_now() + 2h));
}

TEST(BuildStatus, TreatsAPreviousConditionWithoutATimeAsNew) {
  const json current = {{"conditions", {{{"type", kCertificateReady}, {"status", "True"}}}}};
  const json status = build_status(current, 1, all_true(), std::nullopt, fixed_now());
  EXPECT_EQ(condition(status, kCertificateReady)["lastTransitionTime"], format_rfc3339(fixed_now()));
}

TEST(BuildStatus, WritesTheCertificate) {
  CertificateStatus cert;
  cert.serial_number = "0abc";
  cert.not_before = fixed_now() - 5min;
  cert.not_after = fixed_now() + 2160h;
  cert.renewal_time = fixed_now() + 1440h;
  cert.fingerprint_sha256 = "AB:CD";
  cert.issuer = "CN=cluster CA";
  cert.revision = 3;
  const json status = build_status(nullptr, 1, all_true(), cert, fixed_now());
  EXPECT_EQ(status["certificate"], (json{{"serialNumber", "0abc"},
                                         {"notBefore", format_rfc3339(fixed_now() - 5min)},
                                         {"notAfter", format_rfc3339(fixed_now() + 2160h)},
                                         {"renewalTime", format_rfc3339(fixed_now() + 1440h)},
                                         {"fingerprintSHA256", "AB:CD"},
                                         {"issuer", "CN=cluster CA"},
                                         {"revision", 3}}));
  // Recorded only for a SecureService with spec.tls.restartOnRenewal.
  cert.restarted_for_revision = 2;
  EXPECT_EQ(build_status(nullptr, 1, all_true(), cert, fixed_now())["certificate"]["restartedForRevision"], 2);
}

TEST(BuildStatus, KeepsTheKnownCertificateWhenNoneIsGiven) {
  const json current = {{"certificate", {{"serialNumber", "0abc"}, {"revision", 2}}}};
  EXPECT_EQ(build_status(current, 1, all_true(), std::nullopt, fixed_now())["certificate"], current["certificate"]);
  EXPECT_FALSE(build_status(nullptr, 1, all_true(), std::nullopt, fixed_now()).contains("certificate"));
}

}  // namespace
}  // namespace sso::controller
