// The webhook under a cluster CA rotation: the API test server calls it through the chart's
// webhook configuration, verifying its serving certificate against the caBundle as
// kube-apiserver does, all through the rotation's stage, promotion and retirement. Every call
// must be answered by the webhook itself; at the end its serving certificate is the new CA's
// and the caBundle trusts it.
#include "base/base64.hpp"
#include "pki/certificate.hpp"
#include "webhook_cluster.hpp"

namespace sso::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kCaSecret = "/api/v1/namespaces/default/secrets/secureservice-operator-ca";

class WebhookRotationE2E : public WebhookClusterTest {
 protected:
  std::vector<std::string> extra_operator_flags() const override {
    return {"--ca-rotation-propagation", "1s", "--ca-rotation-overlap", "2s"};
  }

  std::string secret_value(const std::string& path, const std::string& key) {
    auto decoded = base64_decode(api_->get(path).body.value("data", json::object()).value(key, ""));
    return decoded.ok() ? *decoded : std::string();
  }

  // A dry-run create of `p`: the webhook is called, nothing is stored.
  ApiTestClient::Response dry_run(const json& p) { return api_->post("/api/v1/namespaces/shop/pods?dryRun=All", p); }
};

TEST_F(WebhookRotationE2E, KeepsAnsweringThroughACaRotationAndEndsTrustedByTheNewCa) {
  apply_checkout();
  const std::string old_ca = secret_value(kCaSecret, "tls.crt");
  ASSERT_FALSE(old_ca.empty());
  const std::string old_serving = secret_value(kServingSecret, "tls.crt");
  ASSERT_EQ(dry_run(pod({})).code, 201);

  kubectl_ok({"annotate", "secret", "secureservice-operator-ca", "-n", "default", "secureservice.io/rotate=now"});
  auto rotated = [&] {
    const std::string ca = secret_value(kCaSecret, "tls.crt");
    const std::string bundle = secret_value(kCaSecret, "ca.crt");
    const std::string serving = secret_value(kServingSecret, "tls.crt");
    auto new_ca = pki::Certificate::from_pem(ca);
    auto leaf = pki::Certificate::from_pem(serving);
    return ca != old_ca && bundle.find(old_ca) == std::string::npos && new_ca.ok() && leaf.ok() &&
           leaf->is_signed_by(*new_ca) && !api_->get(kCaSecret).body["data"].contains("next.key");
  };
  int calls = 0;
  std::vector<std::string> failures;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  bool done = false;
  while (std::chrono::steady_clock::now() < deadline) {
    // Admitted and denied in turn: each answer is the webhook's own decision.
    const auto admitted = dry_run(pod({}));
    if (admitted.code != 201)
      failures.push_back("admit: " + std::to_string(admitted.code) + " " + admitted.body.dump().substr(0, 300));
    const auto denied = dry_run(pod({.name = "bare", .secret = "", .mount_path = ""}));
    if (denied.code != 403 ||
        denied.body.value("message", std::string()).find("denied the request") == std::string::npos)
      failures.push_back("deny: " + std::to_string(denied.code) + " " + denied.body.dump().substr(0, 300));
    calls += 2;
    if (done) break;  // one more round once the rotation is over
    done = rotated();
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(done) << "the rotation did not complete\n" << operator_->output().substr(0, 3000);
  EXPECT_THAT(failures, ::testing::IsEmpty()) << "of " << calls << " webhook calls";
  EXPECT_GE(calls, 20);
  EXPECT_NE(secret_value(kServingSecret, "tls.crt"), old_serving) << "the serving certificate was re-issued";

  // The caBundle the API server verifies with now holds the new CA and no longer the old.
  const json config = api_->get(kWebhookConfig).body;
  for (const auto& webhook : config["webhooks"]) {
    auto bundle = base64_decode(webhook["clientConfig"].value("caBundle", ""));
    ASSERT_TRUE(bundle.ok());
    EXPECT_NE(bundle->find(secret_value(kCaSecret, "tls.crt")), std::string::npos) << webhook["name"];
    EXPECT_EQ(bundle->find(old_ca), std::string::npos) << webhook["name"];
  }
}

}  // namespace
}  // namespace sso::testing
