#include "controller/object_writer.hpp"

#include <gmock/gmock.h>

namespace sso::controller {
namespace {

using nlohmann::json;

json desired_policy() {
  return {{"apiVersion", "networking.k8s.io/v1"},
          {"kind", "NetworkPolicy"},
          {"metadata",
           {{"name", "payments"},
            {"namespace", "shop"},
            {"labels", {{"app.kubernetes.io/managed-by", "secureservice-operator"}}},
            {"annotations", {{"secureservice.io/revision", "1"}}},
            {"ownerReferences", {{{"kind", "SecureService"}, {"name", "payments"}, {"uid", "uid-payments"}}}}}},
          {"spec", {{"podSelector", {{"matchLabels", {{"app", "payments"}}}}}, {"policyTypes", {"Ingress"}}}}};
}

// desired as the API server returns it: metadata it fills in, status, labels others added.
json as_stored(json object) {
  object["metadata"]["uid"] = "uid-policy";
  object["metadata"]["resourceVersion"] = "17";
  object["metadata"]["generation"] = 1;
  object["metadata"]["creationTimestamp"] = "2027-01-01T00:00:00Z";
  object["metadata"]["managedFields"] = json::array({{{"manager", "secureservice-operator"}}});
  object["metadata"]["labels"]["team"] = "payments";
  object["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = "{}";
  object["status"] = {{"conditions", json::array()}};
  return object;
}

TEST(Differs, AnAbsentObjectDiffers) { EXPECT_TRUE(differs(nullptr, desired_policy())); }

TEST(Differs, IgnoresWhatTheServerAndOthersAdded) {
  EXPECT_FALSE(differs(desired_policy(), desired_policy()));
  EXPECT_FALSE(differs(as_stored(desired_policy()), desired_policy()));
}

TEST(Differs, DetectsAChangedSpec) {
  json existing = as_stored(desired_policy());
  existing["spec"]["podSelector"]["matchLabels"]["app"] = "orders";
  EXPECT_TRUE(differs(existing, desired_policy()));
}

TEST(Differs, DetectsAFieldTheObjectLacks) {
  json existing = as_stored(desired_policy());
  existing.erase("spec");
  EXPECT_TRUE(differs(existing, desired_policy()));
}

TEST(Differs, DetectsAChangedOrMissingLabel) {
  json changed = as_stored(desired_policy());
  changed["metadata"]["labels"]["app.kubernetes.io/managed-by"] = "helm";
  EXPECT_TRUE(differs(changed, desired_policy()));
  json missing = as_stored(desired_policy());
  missing["metadata"]["labels"].erase("app.kubernetes.io/managed-by");
  EXPECT_TRUE(differs(missing, desired_policy()));
  json none = as_stored(desired_policy());
  none["metadata"].erase("labels");
  EXPECT_TRUE(differs(none, desired_policy()));
}

TEST(Differs, DetectsAChangedAnnotation) {
  json existing = as_stored(desired_policy());
  json desired = desired_policy();
  desired["metadata"]["annotations"]["secureservice.io/revision"] = "2";
  EXPECT_TRUE(differs(existing, desired));
}

TEST(Differs, DetectsChangedOrMissingOwnerReferences) {
  json changed = as_stored(desired_policy());
  changed["metadata"]["ownerReferences"][0]["uid"] = "uid-of-a-deleted-payments";
  EXPECT_TRUE(differs(changed, desired_policy()));
  json missing = as_stored(desired_policy());
  missing["metadata"].erase("ownerReferences");
  EXPECT_TRUE(differs(missing, desired_policy()));
}

TEST(Differs, LeavesOwnerReferencesAloneWhenNoneAreDesired) {
  json desired = desired_policy();
  desired["metadata"].erase("ownerReferences");
  EXPECT_FALSE(differs(as_stored(desired_policy()), desired));
}

TEST(Differs, DetectsSecretDataChanges) {
  const json desired = {{"apiVersion", "v1"},
                        {"kind", "Secret"},
                        {"metadata", {{"name", "payments-tls"}}},
                        {"type", "kubernetes.io/tls"},
                        {"data", {{"tls.crt", "Y2VydA=="}, {"ca.crt", "YnVuZGxl"}}}};
  json existing = as_stored(desired);
  EXPECT_FALSE(differs(existing, desired));
  existing["data"]["ca.crt"] = "b2xk";
  EXPECT_TRUE(differs(existing, desired));
  existing = as_stored(desired);
  existing["data"]["keystore.p12"] = "cDEy";  // a key desired no longer has
  EXPECT_TRUE(differs(existing, desired));
}

TEST(ResourceTypeOf, KnowsTheKindsTheControllerWrites) {
  auto secret = resource_type_of({{"apiVersion", "v1"}, {"kind", "Secret"}});
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(secret->group, "");
  EXPECT_EQ(secret->version, "v1");
  EXPECT_EQ(secret->plural, "secrets");
  auto policy = resource_type_of({{"apiVersion", "networking.k8s.io/v1"}, {"kind", "NetworkPolicy"}});
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ(policy->group, "networking.k8s.io");
  EXPECT_EQ(policy->plural, "networkpolicies");
  auto authz = resource_type_of({{"apiVersion", "policy.linkerd.io/v1alpha1"}, {"kind", "AuthorizationPolicy"}});
  ASSERT_TRUE(authz.ok());
  EXPECT_EQ(authz->group, "policy.linkerd.io");
  EXPECT_EQ(authz->version, "v1alpha1");
  EXPECT_EQ(authz->plural, "authorizationpolicies");
  auto unknown = resource_type_of({{"apiVersion", "apps/v1"}, {"kind", "Deployment"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace sso::controller
