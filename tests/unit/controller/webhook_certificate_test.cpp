#include "controller/webhook_certificate.hpp"

#include <gmock/gmock.h>

#include "kube/secret_data.hpp"
#include "pki_fixtures.hpp"
#include "status_matchers.hpp"

namespace sso::controller {
namespace {

using nlohmann::json;
using ::sso::testing::fixed_now;
using ::sso::testing::make_test_ca;
using ::testing::ElementsAre;
using namespace std::chrono_literals;

ClusterCa cluster_ca_of(const pki::CertificateAuthority& issuer, std::vector<pki::Certificate> also_trusted = {}) {
  std::vector<pki::Certificate> trusted = {issuer.certificate()};
  trusted.insert(trusted.end(), also_trusted.begin(), also_trusted.end());
  const std::string bundle = pki::to_pem(trusted);
  return ClusterCa{issuer, std::move(trusted), bundle, "", "1"};
}

WebhookCertificateOptions options() {
  return {.service_namespace = "ops",
          .service_name = "secureservice-operator-webhook",
          .secret_name = "secureservice-operator-webhook-tls",
          .config_name = "secureservice-operator"};
}

WebhookSecretPlan plan(const json& existing, const ClusterCa& ca, TimePoint now) {
  auto p = plan_webhook_secret(existing, ca, options(), now);
  if (!p.ok()) {
    ADD_FAILURE() << p.error().describe();
    std::abort();
  }
  return std::move(*p);
}

std::string data(const json& secret, const std::string& key) {
  auto v = kube::secret_value(secret, key);
  return v.ok() && *v ? **v : "";
}

TEST(WebhookCertificate, NamesTheServiceAsKubeApiserverDialsIt) {
  const auto request = webhook_identity_request(options());
  EXPECT_THAT(request.dns_names, ElementsAre("secureservice-operator-webhook", "secureservice-operator-webhook.ops",
                                             "secureservice-operator-webhook.ops.svc",
                                             "secureservice-operator-webhook.ops.svc.cluster.local"));
  EXPECT_EQ(request.mode, pki::TlsMode::kServer);
}

TEST(WebhookCertificate, AMissingSecretIsIssuedAsATlsSecretWithTheBundle) {
  const auto ca = cluster_ca_of(make_test_ca(fixed_now()));
  const auto p = plan(nullptr, ca, fixed_now());
  ASSERT_TRUE(p.secret && p.issued);
  EXPECT_EQ(p.issued->reason, pki::ReissueReason::kMissingData);
  EXPECT_EQ((*p.secret)["type"], "kubernetes.io/tls");
  EXPECT_EQ((*p.secret)["metadata"]["namespace"], "ops");
  EXPECT_EQ(data(*p.secret, "ca.crt"), ca.bundle_pem);
  auto chain = pki::Certificate::chain_from_pem(data(*p.secret, "tls.crt"));
  ASSERT_TRUE(chain.ok());
  EXPECT_TRUE(chain->front().is_signed_by(ca.issuer.certificate()));
  auto key = pki::PrivateKey::from_pem(data(*p.secret, "tls.key"));
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(chain->front().matches_key(*key));
  EXPECT_GT(p.renewal_time, fixed_now());
}

TEST(WebhookCertificate, AGoodSecretIsKeptAndRenewedOnlyWhenDue) {
  const auto ca = cluster_ca_of(make_test_ca(fixed_now()));
  const json secret = *plan(nullptr, ca, fixed_now()).secret;
  const auto kept = plan(secret, ca, fixed_now() + 24h);
  EXPECT_FALSE(kept.secret.has_value());
  EXPECT_FALSE(kept.issued.has_value());
  const auto renewed = plan(secret, ca, kept.renewal_time + 1s);
  ASSERT_TRUE(renewed.issued);
  EXPECT_EQ(renewed.issued->reason, pki::ReissueReason::kRenewalDue);
}

TEST(WebhookCertificate, ANewBundleIsWrittenWithoutReissuing) {
  const auto issuer = make_test_ca(fixed_now());
  const json secret = *plan(nullptr, cluster_ca_of(issuer), fixed_now()).secret;
  const auto next = make_test_ca(fixed_now(), {}, "next CA");
  const auto staged = cluster_ca_of(issuer, {next.certificate()});
  const auto p = plan(secret, staged, fixed_now());
  EXPECT_FALSE(p.issued.has_value());
  ASSERT_TRUE(p.secret);
  EXPECT_EQ(data(*p.secret, "tls.crt"), data(secret, "tls.crt"));
  EXPECT_EQ(data(*p.secret, "tls.key"), data(secret, "tls.key"));
  EXPECT_EQ(data(*p.secret, "ca.crt"), staged.bundle_pem);
}

TEST(WebhookCertificate, APromotedCaReissuesFromTheNewIssuer) {
  const auto old_ca = make_test_ca(fixed_now(), {}, "old CA");
  const json secret = *plan(nullptr, cluster_ca_of(old_ca), fixed_now()).secret;
  const auto new_ca = make_test_ca(fixed_now(), {}, "new CA");
  const auto p = plan(secret, cluster_ca_of(new_ca, {old_ca.certificate()}), fixed_now());
  ASSERT_TRUE(p.issued);
  EXPECT_EQ(p.issued->reason, pki::ReissueReason::kCARotated);
  auto chain = pki::Certificate::chain_from_pem(data(*p.secret, "tls.crt"));
  ASSERT_TRUE(chain.ok());
  EXPECT_TRUE(chain->front().is_signed_by(new_ca.certificate()));
}

TEST(WebhookCertificate, ASecretWithAForeignKeyIsReissued) {
  const auto ca = cluster_ca_of(make_test_ca(fixed_now()));
  json secret = *plan(nullptr, ca, fixed_now()).secret;
  const json other = *plan(nullptr, ca, fixed_now()).secret;
  secret["data"]["tls.key"] = other["data"]["tls.key"];
  const auto p = plan(secret, ca, fixed_now());
  ASSERT_TRUE(p.issued);
  EXPECT_EQ(p.issued->reason, pki::ReissueReason::kKeyMismatch);
}

TEST(WebhookCertificate, TheCaBundleGoesIntoEveryWebhookOnce) {
  const json config = {{"metadata", {{"name", "secureservice-operator"}, {"resourceVersion", "7"}}},
                       {"webhooks",
                        {{{"name", "pods.secureservice.io"}, {"clientConfig", {{"service", {{"name", "w"}}}}}},
                         {{"name", "secureservices.secureservice.io"}, {"clientConfig", {{"caBundle", "b2xk"}}}}}}};
  const auto injected = with_ca_bundle(config, "PEM");
  ASSERT_TRUE(injected);
  for (const auto& w : (*injected)["webhooks"]) EXPECT_EQ(w["clientConfig"]["caBundle"], "UEVN");
  EXPECT_EQ((*injected)["webhooks"][0]["clientConfig"]["service"]["name"], "w");
  EXPECT_EQ((*injected)["metadata"]["resourceVersion"], "7") << "the update must be conditional";
  EXPECT_FALSE(with_ca_bundle(*injected, "PEM").has_value());
  EXPECT_FALSE(with_ca_bundle(json{{"webhooks", "nonsense"}}, "PEM").has_value());
}

}  // namespace
}  // namespace sso::controller
