#include "controller/workload_restart.hpp"

#include <gmock/gmock.h>

#include "workload_fixtures.hpp"

namespace sso::controller {
namespace {

using nlohmann::json;
using ::sso::testing::certificate_revision_of;
using ::sso::testing::workload;

kube::LabelSelector app(const std::string& name) { return kube::LabelSelector{{{"app", name}}, {}}; }

TEST(RestartPatch, AnnotatesThePodTemplateOfASelectedWorkloadWithTheRevision) {
  const json deployment = workload("Deployment", "shop", "payments", {{"app", "payments"}, {"tier", "backend"}});
  const auto patch = restart_patch(deployment, app("payments"), 4);
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ(*patch, json::parse(R"({"spec":{"template":{"metadata":{"annotations":{
      "secureservice.io/certificate-revision":"4"}}}}})"));
  // The patch touches nothing else: merged, the workload differs by that annotation only.
  json patched = deployment;
  patched.merge_patch(*patch);
  EXPECT_EQ(certificate_revision_of(patched), "4");
  patched["spec"]["template"]["metadata"].erase("annotations");
  EXPECT_EQ(patched, deployment);
}

TEST(RestartPatch, SelectsByThePodTemplatesLabelsNotTheWorkloadsOwn) {
  json deployment = workload("Deployment", "shop", "web", {{"app", "web"}});
  deployment["metadata"]["labels"] = {{"app", "payments"}};
  EXPECT_FALSE(restart_patch(deployment, app("payments"), 2).has_value());
  kube::LabelSelector by_expression;
  by_expression.match_expressions = {{"app", "In", {"web", "api"}}};
  EXPECT_TRUE(restart_patch(deployment, by_expression, 2).has_value());
}

TEST(RestartPatch, LeavesAWorkloadAlreadyRestartedForThatRevision) {
  json sts = workload("StatefulSet", "shop", "ledger", {{"app", "ledger"}});
  sts["spec"]["template"]["metadata"]["annotations"] = {{kCertificateRevisionAnnotation, "3"}};
  EXPECT_FALSE(restart_patch(sts, app("ledger"), 3).has_value());
  EXPECT_TRUE(restart_patch(sts, app("ledger"), 4).has_value());
}

TEST(RestartPatch, IgnoresAWorkloadWithoutAPodTemplate) {
  for (const json& odd : {json(nullptr), json::object(), json{{"spec", {{"replicas", 1}}}},
                          json{{"spec", {{"template", "not an object"}}}}})
    EXPECT_FALSE(restart_patch(odd, kube::LabelSelector{}, 2).has_value()) << odd.dump();
}

TEST(RestartDue, OnlyWhenTheSecretHoldsAnotherRevisionThanTheOneRestartedFor) {
  EXPECT_FALSE(restart_due(std::nullopt, 1)) << "the first certificate replaces none";
  EXPECT_FALSE(restart_due(std::nullopt, 7)) << "the option was just turned on: nothing to catch up";
  EXPECT_FALSE(restart_due(3, 3)) << "a reconcile that issued nothing";
  EXPECT_TRUE(restart_due(3, 4));
  EXPECT_TRUE(restart_due(4, 1)) << "the Secret was deleted and its count began again";
}

}  // namespace
}  // namespace sso::controller
