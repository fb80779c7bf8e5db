#include "webhook/admission_handlers.hpp"
#include "webhook/pod_policy.hpp"

#include <gmock/gmock.h>

namespace sso::webhook {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

json checkout(const std::string& mode = "Enforce") {
  return {{"apiVersion", "secureservice.io/v1alpha1"},
          {"kind", "SecureService"},
          {"metadata", {{"name", "checkout"}, {"namespace", "shop"}, {"uid", "u1"}, {"generation", 1}}},
          {"spec",
           {{"selector", {{"matchLabels", {{"app", "checkout"}}}}},
            {"ports", {{{"port", 8443}}}},
            {"admission", {{"mode", mode}}}}}};
}

json pod(bool mounted, const std::string& ns = "shop") {
  json container = {{"name", "app"}, {"image", "app:1"}};
  if (mounted)
    container["volumeMounts"] = {{{"name", "tls"}, {"mountPath", "/etc/secureservice/tls"}, {"readOnly", true}}};
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", "web"}, {"namespace", ns}, {"labels", {{"app", "checkout"}}}}},
          {"spec",
           {{"serviceAccountName", "checkout"},
            {"containers", {container}},
            {"volumes", {{{"name", "tls"}, {"secret", {{"secretName", "checkout-tls"}}}}}}}}};
}

AdmissionRequest pod_request(const json& object, const std::string& operation = "CREATE",
                             const json& old_object = nullptr) {
  AdmissionRequest r;
  r.uid = "uid-1";
  r.kind = {"", "v1", "Pod"};
  r.resource = {"", "v1", "pods"};
  r.name = "web";
  r.ns = object["metadata"].value("namespace", "shop");
  r.operation = operation;
  r.object = object;
  r.old_object = old_object;
  return r;
}

struct Handlers {
  SecureServiceIndex index;
  bool synced = true;
  kube::Labels shop_labels;
  AdmissionHandlers handlers{
      index, [this](const std::string& ns) { return ns == "shop" ? shop_labels : kube::Labels{}; },
      [this] { return synced; }, AdmissionOptions{.exempt_namespaces = {"secureservice-system", "kube-system"}}};
};

TEST(AdmissionHandlers, ACompliantPodIsAllowedAndANonCompliantOneDenied) {
  Handlers h;
  h.index.upsert(checkout());
  const auto allowed = h.handlers.validate_pod(pod_request(pod(true)));
  EXPECT_TRUE(allowed.allowed);
  EXPECT_EQ(allowed.uid, "uid-1");
  const auto denied = h.handlers.validate_pod(pod_request(pod(false)));
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.uid, "uid-1");
  EXPECT_THAT(denied.message, HasSubstr("SecureService checkout"));
  EXPECT_EQ(decision_of(denied), "denied");
}

TEST(AdmissionHandlers, ADeletedSecureServiceNoLongerJudges) {
  Handlers h;
  h.index.upsert(checkout());
  h.index.remove(checkout());
  EXPECT_TRUE(h.handlers.validate_pod(pod_request(pod(false))).allowed);
}

TEST(AdmissionHandlers, AuditWarnsInsteadOfDenying) {
  Handlers h;
  h.index.upsert(checkout("Audit"));
  const auto r = h.handlers.validate_pod(pod_request(pod(false)));
  EXPECT_TRUE(r.allowed);
  EXPECT_THAT(r.warnings, Not(IsEmpty()));
  EXPECT_EQ(decision_of(r), "warned");
}

TEST(AdmissionHandlers, ExemptNamespacesAreNeverBlocked) {
  Handlers h;
  json s = checkout();
  s["metadata"]["namespace"] = "kube-system";
  h.index.upsert(s);
  const auto r = h.handlers.validate_pod(pod_request(pod(false, "kube-system")));
  EXPECT_TRUE(r.allowed);
  EXPECT_EQ(r.decision_reason, "ExemptNamespace");
}

TEST(AdmissionHandlers, UntilTheCachesSyncEveryPodIsRefusedAs503) {
  Handlers h;
  h.synced = false;
  const auto r = h.handlers.validate_pod(pod_request(pod(true)));
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.code, 503);
}

TEST(AdmissionHandlers, AWrongKindIsABadRequestNamingWhatCame) {
  Handlers h;
  AdmissionRequest r = pod_request(pod(true));
  r.kind = {"apps", "v1", "Deployment"};
  r.resource = {"apps", "v1", "deployments"};
  const auto response = h.handlers.validate_pod(r);
  EXPECT_FALSE(response.allowed);
  EXPECT_EQ(response.code, 400);
  EXPECT_THAT(response.message, HasSubstr("apps/v1 Deployment"));
  const auto ssvc = h.handlers.validate_secure_service(pod_request(pod(true)));
  EXPECT_EQ(ssvc.code, 400);
}

TEST(AdmissionHandlers, AMalformedPodIsABadRequest) {
  Handlers h;
  json broken = pod(true);
  broken["spec"]["containers"] = "nope";
  const auto r = h.handlers.validate_pod(pod_request(broken));
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.code, 400);
  EXPECT_THAT(r.message, HasSubstr("containers"));
}

TEST(AdmissionHandlers, AnUpdateIsDeniedOnlyForWhatItBreaks) {
  Handlers h;
  h.index.upsert(checkout());
  // Removing the mount: denied.
  EXPECT_FALSE(h.handlers.validate_pod(pod_request(pod(false), "UPDATE", pod(true))).allowed);
  // A pod that lacked it before the SecureService existed may still get a label.
  json relabelled = pod(false);
  relabelled["metadata"]["labels"]["tier"] = "web";
  const auto legacy = h.handlers.validate_pod(pod_request(relabelled, "UPDATE", pod(false)));
  EXPECT_TRUE(legacy.allowed);
  EXPECT_EQ(legacy.decision_reason, "PreExisting");
  EXPECT_THAT(legacy.warnings, Not(IsEmpty()));
  // And a terminating pod may lose its finalizers.
  json terminating = pod(false);
  terminating["metadata"]["deletionTimestamp"] = "2026-11-26T00:00:00Z";
  EXPECT_TRUE(h.handlers.validate_pod(pod_request(terminating, "UPDATE", pod(true))).allowed);
}

TEST(AdmissionHandlers, DeleteAndConnectAreNotJudged) {
  Handlers h;
  h.index.upsert(checkout());
  AdmissionRequest r = pod_request(pod(false), "DELETE");
  EXPECT_TRUE(h.handlers.validate_pod(r).allowed);
}

TEST(AdmissionHandlers, AStrictNamespaceLabelComesFromTheNamespaceCache) {
  Handlers h;
  json stray = pod(false);
  stray["metadata"]["labels"] = {{"app", "stray"}};
  EXPECT_TRUE(h.handlers.validate_pod(pod_request(stray)).allowed);
  h.shop_labels = {{kEnforcementLabel, "strict"}};
  EXPECT_FALSE(h.handlers.validate_pod(pod_request(stray)).allowed);
}

TEST(AdmissionHandlers, ASecureServiceClashingWithAnotherIsDenied) {
  Handlers h;
  h.index.upsert(checkout());
  json other = checkout();
  other["metadata"]["name"] = "checkout-v2";
  AdmissionRequest r;
  r.uid = "uid-2";
  r.kind = {"secureservice.io", "v1alpha1", "SecureService"};
  r.resource = {"secureservice.io", "v1alpha1", "secureservices"};
  r.ns = "shop";
  r.name = "checkout-v2";
  r.operation = "CREATE";
  r.object = other;
  const auto response = h.handlers.validate_secure_service(r);
  EXPECT_FALSE(response.allowed);
  EXPECT_THAT(response.message, HasSubstr("checkout"));
  // The service itself, updated, does not clash with its own old self.
  r.name = "checkout";
  r.object = checkout("Audit");
  r.operation = "UPDATE";
  r.old_object = checkout();
  EXPECT_TRUE(h.handlers.validate_secure_service(r).allowed);
}

}  // namespace
}  // namespace sso::webhook
