#include "controller/istio.hpp"

#include <gmock/gmock.h>

#include "secure_service_fixtures.hpp"

namespace sso::controller {
namespace {

using nlohmann::json;
using testing::found_peer;
using testing::make_secure_service;
using testing::missing_peer;
using testing::plain_peer;

constexpr std::string_view kClusterDomain = "cluster.local";
constexpr std::string_view kTrustDomain = "example.org";

// The objects by kind; each kind appears once.
json by_kind(const std::vector<json>& objects, const std::string& kind) {
  for (const auto& o : objects)
    if (o["kind"] == kind) return o;
  ADD_FAILURE() << "no " << kind;
  return json::object();
}

json rules_for(const std::vector<Peer>& clients, const api::SecureService& service = make_secure_service()) {
  return by_kind(build_istio_objects(service, clients, kClusterDomain, kTrustDomain), "AuthorizationPolicy")["spec"];
}

json rule(const std::string& principal, std::vector<std::string> ports) {
  return {{"from", json::array({{{"source", {{"principals", json::array({principal})}}}}})},
          {"to", json::array({{{"operation", {{"ports", ports}}}}})}};
}

TEST(IstioObjects, AreAPeerAuthenticationADestinationRuleAndAnAuthorizationPolicyNamedAfterTheService) {
  const auto objects = build_istio_objects(make_secure_service(), {}, kClusterDomain, kTrustDomain);
  ASSERT_EQ(objects.size(), 3u);
  EXPECT_EQ(objects[0]["apiVersion"], "security.istio.io/v1");
  EXPECT_EQ(objects[0]["kind"], "PeerAuthentication");
  EXPECT_EQ(objects[1]["apiVersion"], "networking.istio.io/v1");
  EXPECT_EQ(objects[1]["kind"], "DestinationRule");
  EXPECT_EQ(objects[2]["apiVersion"], "security.istio.io/v1");
  EXPECT_EQ(objects[2]["kind"], "AuthorizationPolicy");
  for (const auto& o : objects) {
    EXPECT_EQ(o["metadata"]["name"], "payments");
    EXPECT_EQ(o["metadata"]["namespace"], "shop");
    EXPECT_EQ(o["metadata"]["labels"]["secureservice.io/name"], "payments");
  }
}

TEST(IstioObjects, PeerAuthenticationSelectsTheServiceAndRequiresStrictMtls) {
  const json spec = by_kind(build_istio_objects(make_secure_service(), {}, kClusterDomain, kTrustDomain),
                            "PeerAuthentication")["spec"];
  EXPECT_EQ(spec, (json{{"selector", {{"matchLabels", {{"app", "payments"}}}}}, {"mtls", {{"mode", "STRICT"}}}}));
}

TEST(IstioObjects, PeerAuthenticationIsPermissiveWhenTheServiceSaysSo) {
  api::SecureService service = make_secure_service();
  service.mtls_mode = api::MtlsMode::kPermissive;
  const json spec =
      by_kind(build_istio_objects(service, {}, kClusterDomain, kTrustDomain), "PeerAuthentication")["spec"];
  EXPECT_EQ(spec["mtls"]["mode"], "PERMISSIVE");
}

TEST(IstioObjects, DestinationRuleMakesClientsUseIstioMutualTlsToTheServiceHost) {
  const json spec =
      by_kind(build_istio_objects(make_secure_service(), {}, "corp.example", kTrustDomain), "DestinationRule")["spec"];
  EXPECT_EQ(spec, (json{{"host", "payments.shop.svc.corp.example"},
                        {"trafficPolicy", {{"tls", {{"mode", "ISTIO_MUTUAL"}}}}}}));
}

TEST(IstioObjects, AuthorizationPolicyAllowsASameNamespaceClientByItsPrincipal) {
  const json spec = rules_for({found_peer("web", "shop", {8443, 9090})});
  EXPECT_EQ(spec["selector"], (json{{"matchLabels", {{"app", "payments"}}}}));
  EXPECT_EQ(spec["action"], "ALLOW");
  EXPECT_EQ(spec["rules"], json::array({rule("example.org/ns/shop/sa/web", {"8443", "9090"})}));
}

TEST(IstioObjects, AuthorizationPolicyNamesACrossNamespaceClientsServiceAccount) {
  const json spec = rules_for({found_peer("checkout", "store", {8443}, "checkout-sa")});
  EXPECT_EQ(spec["rules"], json::array({rule("example.org/ns/store/sa/checkout-sa", {"8443"})}));
}

TEST(IstioObjects, AuthorizationPolicyWithoutFoundClientsHasNoRulesSoDeniesEverything) {
  const json spec = rules_for({missing_peer("ghost", "shop", {8443})});
  EXPECT_EQ(spec["action"], "ALLOW");
  EXPECT_FALSE(spec.contains("rules"));
}

TEST(IstioObjects, AuthorizationPolicyIgnoresPlainPodClientsWhichHaveNoMeshIdentity) {
  const json spec = rules_for({plain_peer(kube::LabelSelector{{{"role", "batch"}}, {}}, std::nullopt, {9090}),
                               found_peer("web", "shop", {8443})});
  EXPECT_EQ(spec["rules"], json::array({rule("example.org/ns/shop/sa/web", {"8443"})}));
}

TEST(IstioObjects, AuthorizationPolicyGivesEachClientOnlyItsPorts) {
  const json spec = rules_for({found_peer("web", "shop", {8443}), found_peer("prometheus", "monitoring", {9090})});
  EXPECT_EQ(spec["rules"], json::array({rule("example.org/ns/monitoring/sa/prometheus", {"9090"}),
                                        rule("example.org/ns/shop/sa/web", {"8443"})}));
}

TEST(IstioObjects, SelectorsKeepTheMatchLabelsOfAServiceThatAlsoHasMatchExpressions) {
  api::SecureService service = make_secure_service();
  service.selector.match_expressions = {{"track", "NotIn", {"canary"}}};
  const auto objects = build_istio_objects(service, {}, kClusterDomain, kTrustDomain);
  ASSERT_EQ(objects.size(), 3u);
  EXPECT_EQ(by_kind(objects, "PeerAuthentication")["spec"]["selector"], (json{{"matchLabels", {{"app", "payments"}}}}));
  EXPECT_EQ(by_kind(objects, "AuthorizationPolicy")["spec"]["selector"],
            (json{{"matchLabels", {{"app", "payments"}}}}));
}

TEST(IstioObjects, ServiceSelectedByMatchExpressionsAloneGetsNoNamespaceWidePolicy) {
  api::SecureService service = make_secure_service();
  service.selector = kube::LabelSelector{{}, {{"app", "In", {"payments"}}}};
  const auto objects = build_istio_objects(service, {found_peer("web", "shop", {8443})}, kClusterDomain, kTrustDomain);
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0]["kind"], "DestinationRule");
}

TEST(IstioObjects, AreTheSameWhateverTheOrderOfClients) {
  const Peer web = found_peer("web", "shop", {9090, 8443});
  const Peer checkout = found_peer("checkout", "store", {8443});
  const auto build = [](std::vector<Peer> clients) {
    return json(build_istio_objects(make_secure_service(), clients, kClusterDomain, kTrustDomain)).dump();
  };
  EXPECT_EQ(build({web, checkout}), build({web, checkout}));
  EXPECT_EQ(build({web, checkout}), build({checkout, web}));
  EXPECT_EQ(build({web}), build({web, web}));
}

TEST(IstioObjects, RequestRulesBecomeOperationsOfThatClientsRuleOnly) {
  Peer checkout = found_peer("checkout", "shop", {8443});
  checkout.rules = {{{"POST"}, {"/v1/charges"}}, {{}, {"/v1/charges/*"}}};
  const json spec = rules_for({checkout, found_peer("audit", "ops", {9090})});
  ASSERT_EQ(spec["rules"].size(), 2u);
  EXPECT_EQ(spec["rules"][0], rule("example.org/ns/ops/sa/audit", {"9090"}));
  EXPECT_EQ(spec["rules"][1]["to"], json::parse(R"([
    {"operation": {"ports": ["8443"], "methods": ["POST"], "paths": ["/v1/charges"]}},
    {"operation": {"ports": ["8443"], "paths": ["/v1/charges/*"]}}])"));
}

TEST(IstioObjects, JwtIssuersBecomeARequestAuthenticationBeforeTheAuthorizationPolicy) {
  api::SecureService service = make_secure_service();
  service.authentication.jwt = {{"https://auth.example.com",
                                 "https://auth.example.com/jwks",
                                 {"payments"},
                                 {{"X-Token", ""}, {"Authorization", "Bearer "}}},
                                {"https://other.example.com", "", {}, {}}};
  const auto objects = build_istio_objects(service, {}, kClusterDomain, kTrustDomain);
  ASSERT_EQ(objects.size(), 4u);
  EXPECT_EQ(objects[2]["kind"], "RequestAuthentication");
  EXPECT_EQ(objects[3]["kind"], "AuthorizationPolicy");
  EXPECT_EQ(objects[2]["apiVersion"], "security.istio.io/v1");
  EXPECT_EQ(objects[2]["spec"], json::parse(R"({
    "selector": {"matchLabels": {"app": "payments"}},
    "jwtRules": [
      {"issuer": "https://auth.example.com", "jwksUri": "https://auth.example.com/jwks", "audiences": ["payments"],
       "fromHeaders": [{"name": "X-Token"}, {"name": "Authorization", "prefix": "Bearer "}]},
      {"issuer": "https://other.example.com"}]})"));
  // Without requireJWT a token is checked when present and not required.
  EXPECT_FALSE(rules_for({found_peer("web", "shop", {8443})}, service)["rules"][0]["from"][0]["source"].contains(
      "requestPrincipals"));
}

TEST(IstioObjects, RequireJwtAddsTheIssuersRequestPrincipalsToEveryRule) {
  api::SecureService service = make_secure_service();
  service.authentication.jwt = {{"https://auth.example.com", "", {}, {}}, {"https://other.example.com", "", {}, {}}};
  service.authentication.require_jwt = true;
  const json spec = rules_for({found_peer("web", "shop", {8443}), found_peer("audit", "ops", {9090})}, service);
  ASSERT_EQ(spec["rules"].size(), 2u);
  for (const auto& r : spec["rules"])
    EXPECT_EQ(r["from"][0]["source"]["requestPrincipals"],
              json::array({"https://auth.example.com/*", "https://other.example.com/*"}));
}

}  // namespace
}  // namespace sso::controller
