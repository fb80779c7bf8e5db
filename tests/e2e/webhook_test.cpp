// The admission webhooks end to end: the operator binary serves them, the API test server
// calls them through a real ValidatingWebhookConfiguration (the one the operator writes the
// caBundle into), and kubectl shows what a user sees.
#include <signal.h>

#include <fstream>

#include "base/base64.hpp"
#include "webhook_cluster.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

using WebhookE2E = WebhookClusterTest;

TEST_F(WebhookE2E, ACompliantPodIsAdmitted) {
  apply_checkout();
  const auto r = create(pod({}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(api_->get("/api/v1/namespaces/shop/pods/web").code, 200);
}

TEST_F(WebhookE2E, EachMissingPieceIsDeniedWithItsOwnMessage) {
  apply_checkout();
  struct Case {
    const char* what;
    PodShape shape;
    std::vector<std::string> says;      // the message names these
    std::vector<std::string> not_says;  // and not these (another case's problem)
  };
  const std::vector<Case> cases = {
      {"no volume", {.secret = ""}, {"checkout-tls", "secretName"}, {"serviceAccountName"}},
      {"no mount",
       {.mount_path = ""},
       {"container \"app\"", "/etc/secureservice/tls", "readOnly: true"},
       {"serviceAccountName", "add to spec.volumes"}},
      {"wrong mount path", {.mount_path = "/tls"}, {"/tls", "/etc/secureservice/tls"}, {"serviceAccountName"}},
      {"writable mount", {.read_only = false}, {"readOnly"}, {"serviceAccountName", "add to spec.volumes"}},
      {"wrong service account",
       {.service_account = "default"},
       {"serviceAccountName", "\"checkout\""},
       {"readOnly", "add to spec.volumes"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const auto r = create(pod(c.shape));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, AllOf(HasSubstr("admission webhook \"pods.secureservice.io\" denied the request"),
                             HasSubstr("SecureService checkout")));
    for (const auto& s : c.says) EXPECT_THAT(r.err, HasSubstr(s));
    for (const auto& s : c.not_says) EXPECT_THAT(r.err, Not(HasSubstr(s)));
    EXPECT_EQ(api_->get("/api/v1/namespaces/shop/pods/web").code, 404) << "a denied pod must not be stored";
  }
}

TEST_F(WebhookE2E, AuditModeAdmitsWithTheSameTextAsWarnings) {
  apply_checkout("Audit");
  const auto r = create(pod({.secret = ""}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("Warning:"), HasSubstr("SecureService checkout"), HasSubstr("checkout-tls")));
  EXPECT_EQ(api_->get("/api/v1/namespaces/shop/pods/web").code, 200);
}

TEST_F(WebhookE2E, DisabledModeAndUnselectedPodsAreLeftAlone) {
  apply_checkout("Disabled");
  EXPECT_EQ(create(pod({.name = "off", .secret = ""})).exit_code, 0);
  const auto r = create(pod({.name = "other", .app = "other", .service_account = "default", .secret = ""}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("Warning:")));
}

TEST_F(WebhookE2E, AStrictNamespaceDeniesPodsNoSecureServiceSelects) {
  apply_checkout();
  kubectl_ok({"label", "namespace", "shop", "secureservice.io/enforcement=strict"});
  const auto denied = create(pod({.name = "stray", .app = "stray", .service_account = "default", .secret = ""}));
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_THAT(denied.err, AllOf(HasSubstr("denied the request"), HasSubstr("secureservice.io/enforcement")));
  // Selected and compliant pods still run there, and the operator's own namespace is exempt.
  EXPECT_EQ(create(pod({})).exit_code, 0);
  kubectl_ok({"label", "namespace", "secureservice-system", "secureservice.io/enforcement=strict"});
  EXPECT_EQ(create(pod({.name = "stray",
                        .ns = "secureservice-system",
                        .app = "stray",
                        .service_account = "default",
                        .secret = ""}))
                .exit_code,
            0);
}

TEST_F(WebhookE2E, AnUpdateThatRemovesTheMountIsDenied) {
  apply_checkout();
  ASSERT_EQ(create(pod({})).exit_code, 0);
  json updated = pod({.mount_path = ""});
  const auto r = create(updated, "replace");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("denied the request"), HasSubstr("/etc/secureservice/tls")));
  // A label edit of the compliant pod passes.
  kubectl_ok({"label", "pod", "-n", "shop", "web", "tier=backend"});
}

TEST_F(WebhookE2E, APodFromGenerateNameIsJudgedUnderItsGeneratedName) {
  apply_checkout();
  const auto ok = create(pod({.generate_name = "checkout-7d9f8-"}));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("pod/checkout-7d9f8-"));
  const auto denied = create(pod({.generate_name = "checkout-7d9f8-", .secret = ""}));
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_THAT(denied.err, AllOf(HasSubstr("checkout-7d9f8-"), HasSubstr("checkout-tls")));
}

TEST_F(WebhookE2E, SecureServicesThatWouldClashAreRefused) {
  apply_checkout();
  const std::string overlapping = dir_.write("overlap.yaml", R"(apiVersion: secureservice.io/v1alpha1
kind: SecureService
metadata: {name: checkout-v2, namespace: shop}
spec:
  selector: {matchExpressions: [{key: app, operator: In, values: [checkout, cart]}]}
  ports: [{port: 8443}]
)");
  auto r = run_process({SSO_KUBECTL_BIN, "--kubeconfig", kubeconfig_, "apply", "-f", overlapping});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("secureservices.secureservice.io\" denied the request"), HasSubstr("checkout")));
  const std::string same_secret = dir_.write("secret.yaml", R"(apiVersion: secureservice.io/v1alpha1
kind: SecureService
metadata: {name: cart, namespace: shop}
spec:
  selector: {matchLabels: {app: cart}}
  ports: [{port: 8443}]
  tls: {secretName: checkout-tls}
)");
  r = run_process({SSO_KUBECTL_BIN, "--kubeconfig", kubeconfig_, "apply", "-f", same_secret});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("checkout-tls"));
  // The service itself may still be edited.
  apply_checkout("Audit");
}

TEST_F(WebhookE2E, TheServingCertificateIsMintedInjectedAndReloaded) {
  const auto secret = api_->get(kServingSecret);
  ASSERT_EQ(secret.code, 200);
  EXPECT_EQ(secret.body.value("type", ""), "kubernetes.io/tls");
  const std::string chain = *base64_decode(secret.body["data"].value("tls.crt", ""));
  const std::string bundle =
      *base64_decode(api_->get(kWebhookConfig).body["webhooks"][0]["clientConfig"].value("caBundle", ""));
  const std::string chain_file = dir_.write("serving.crt", chain), bundle_file = dir_.write("bundle.crt", bundle);
  const auto verified =
      run_process({SSO_OPENSSL_BIN, "verify", "-CAfile", bundle_file, "-purpose", "sslserver", "-verify_hostname",
                   "secureservice-operator-webhook.secureservice-system.svc", chain_file});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;

  // Deleted: minted again, loaded without a restart, and trusted through the same caBundle.
  kubectl_ok({"delete", "secret", "-n", "secureservice-system", "secureservice-operator-webhook-tls"});
  ASSERT_TRUE(eventually(
      [&] {
        const auto again = api_->get(kServingSecret);
        return again.code == 200 && again.body["data"].value("tls.crt", "") != secret.body["data"].value("tls.crt", "");
      },
      std::chrono::seconds(20)));
  apply_checkout();
  ASSERT_TRUE(eventually(
      [&] {
        // The API server verifies the new certificate; a denial proves the webhook answered.
        return create(pod({.name = "probe", .secret = ""})).err.find("denied the request") != std::string::npos;
      },
      std::chrono::seconds(20)));
  EXPECT_EQ(create(pod({})).exit_code, 0);
}

TEST_F(WebhookE2E, MetricsCountRequestsLatencyAndDecisions) {
  apply_checkout();
  ASSERT_EQ(create(pod({})).exit_code, 0);
  ASSERT_EQ(create(pod({.name = "bad", .secret = ""})).exit_code, 1);
  const std::string body = scrape();
  EXPECT_THAT(body, HasSubstr("controller_runtime_webhook_requests_total{code=\"200\",webhook=\"/validate-v1-pod\"}"));
  EXPECT_THAT(body, HasSubstr("controller_runtime_webhook_latency_seconds_bucket{webhook=\"/validate-v1-pod\""));
  EXPECT_THAT(body, HasSubstr("secureservice_admission_decisions_total{decision=\"denied\",reason=\"MissingVolume\","
                              "webhook=\"/validate-v1-pod\"}"));
  EXPECT_THAT(body, HasSubstr("secureservice_admission_decisions_total{decision=\"allowed\",reason=\"Compliant\","
                              "webhook=\"/validate-v1-pod\"}"));
  const auto checked = run_process({SSO_PROMTOOL_BIN, "check", "metrics"}, body);
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err;
}

}  // namespace
}  // namespace sso::testing
