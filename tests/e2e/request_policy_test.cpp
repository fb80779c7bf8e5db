// Request-level authentication and policy end to end (issue #10, part 3): SecureServices with
// allowedClients[].rules and spec.authentication.jwt applied with kubectl; the Istio and
// Linkerd objects the operator writes read back with kubectl and checked by validate-manifests;
// what a provider cannot enforce reported in MeshReady; bad specs refused by the API server.
#include <set>

#include "kube/manifest_yaml.hpp"
#include "operator_process.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class RequestPolicyE2E : public OperatorClusterTest {
 protected:
  void SetUp() override {
    OperatorClusterTest::SetUp();
    if (HasFatalFailure()) return;
    kubectl_ok({"apply", "-f", std::string(SSO_EXAMPLES_DIR) + "/00-namespaces.yaml"});
    kubectl_ok({"apply", "-f", SSO_MESH_CRDS});
    operator_ = std::make_unique<BackgroundProcess>(operator_argv(free_port_pair()), dir_.file("operator.log"));
  }

  json service(const std::string& name) {
    auto r = api_->get("/apis/secureservice.io/v1alpha1/namespaces/shop/secureservices/" + name);
    return r.code == 200 ? r.body : json(nullptr);
  }

  bool mesh_reason_is(const std::string& name, const std::string& reason) {
    return eventually([&] { return condition(service(name), "MeshReady", "reason") == reason; },
                      std::chrono::seconds(20));
  }

  // The items kubectl lists of `resource` in shop.
  json items(const std::string& resource) {
    return json::parse(kubectl_ok({"get", "-n", "shop", resource, "-o", "json"})).value("items", json::array());
  }

  void apply(const std::vector<json>& objects) {
    kubectl_ok({"apply", "-f", dir_.write("objects.yaml", kube::write_manifests(objects))});
  }

  std::unique_ptr<BackgroundProcess> operator_;
};

TEST_F(RequestPolicyE2E, IstioGetsTheJwtIssuersAndOperationsAndLinkerdGetsRoutesAllValid) {
  kubectl_ok({"apply", "-f", SSO_EXAMPLES_DIR});
  ASSERT_TRUE(mesh_reason_is("payments", "IstioPolicyApplied")) << service("payments").dump();
  ASSERT_TRUE(mesh_reason_is("inventory", "LinkerdPolicyApplied")) << service("inventory").dump();
  EXPECT_EQ(condition(service("payments"), "Ready"), "True");

  const json authentications = items("requestauthentications.security.istio.io");
  ASSERT_EQ(authentications.size(), 1u);
  EXPECT_EQ(authentications[0]["metadata"]["name"], "payments");
  EXPECT_EQ(authentications[0]["spec"]["jwtRules"][0]["issuer"], "https://auth.shop.example.com");
  EXPECT_EQ(authentications[0]["spec"]["selector"]["matchLabels"]["app"], "payments");
  json payments_policy;
  for (const auto& policy : items("authorizationpolicies.security.istio.io"))
    if (policy["metadata"]["name"] == "payments") payments_policy = policy;
  ASSERT_TRUE(payments_policy.is_object());
  EXPECT_EQ(payments_policy["spec"]["rules"][0]["to"][0]["operation"],
            json::parse(R"({"methods": ["POST"], "paths": ["/v1/charges"], "ports": ["8443"]})"));

  const json routes = items("httproutes.policy.linkerd.io");
  ASSERT_EQ(routes.size(), 1u);
  const std::string route = routes[0]["metadata"]["name"];
  EXPECT_EQ(routes[0]["spec"]["parentRefs"][0]["name"], "inventory-50051");
  EXPECT_EQ(routes[0]["spec"]["rules"][0]["matches"].size(), 2u);
  const json linkerd_policies = items("authorizationpolicies.policy.linkerd.io");
  ASSERT_EQ(linkerd_policies.size(), 1u);
  EXPECT_EQ(linkerd_policies[0]["spec"]["targetRef"],
            (json{{"group", "policy.linkerd.io"}, {"kind", "HTTPRoute"}, {"name", route}}));

  const std::string written = kubectl_ok({"get", "-n", "shop",
                                          "requestauthentications.security.istio.io,authorizationpolicies.security."
                                          "istio.io,httproutes.policy.linkerd.io,authorizationpolicies.policy.linkerd."
                                          "io,meshtlsauthentications.policy.linkerd.io,servers.policy.linkerd.io",
                                          "-o", "yaml"});
  const ProcessResult valid = run_process({SSO_VALIDATE_MANIFESTS, "-"}, written);
  EXPECT_EQ(valid.exit_code, 0) << valid.out << valid.err;
}

TEST_F(RequestPolicyE2E, WhatTheProviderCannotEnforceIsNamedInMeshReadyUntilItCan) {
  const json jwt = json::parse(R"({"requireJWT": true, "jwt": [{"issuer": "https://auth.example.com"}]})");
  apply({secure_service_object("shop", "caller"),
         secure_service_object("shop", "tokens", {{"mesh", {{"provider", "Linkerd"}}}, {"authentication", jwt}}),
         secure_service_object("shop", "plain", {{"allowedClients", json::parse(R"([{"secureService": "caller",
                                                                   "rules": [{"methods": ["GET"]}]}])")}})});
  ASSERT_TRUE(mesh_reason_is("tokens", "LinkerdPolicyPartlyApplied")) << service("tokens").dump();
  EXPECT_THAT(condition(service("tokens"), "MeshReady", "message"),
              HasSubstr("not applied: spec.authentication.jwt: Linkerd cannot verify JWTs: tokens are not checked and "
                        "requests without one are not refused"));
  EXPECT_EQ(condition(service("tokens"), "MeshReady"), "False");
  EXPECT_EQ(condition(service("tokens"), "Ready"), "False");
  EXPECT_EQ(items("servers.policy.linkerd.io").size(), 1u) << "the rest of the Linkerd policy is written";

  ASSERT_TRUE(mesh_reason_is("plain", "NoMeshToEnforce")) << service("plain").dump();
  EXPECT_THAT(condition(service("plain"), "MeshReady", "message"),
              HasSubstr("spec.allowedClients[0].rules: no mesh enforces request rules (spec.mesh.provider is None): "
                        "shop/caller may make every request on its ports"));
  EXPECT_EQ(condition(service("plain"), "CertificateReady"), "True");

  // On Istio the same spec applies whole, and what Linkerd had is removed.
  kubectl_ok({"patch", "-n", "shop", "secureservice", "tokens", "--type=merge", "-p",
              R"({"spec": {"mesh": {"provider": "Istio"}}})"});
  ASSERT_TRUE(mesh_reason_is("tokens", "IstioPolicyApplied")) << service("tokens").dump();
  EXPECT_EQ(condition(service("tokens"), "Ready"), "True");
  ASSERT_EQ(items("requestauthentications.security.istio.io").size(), 1u);
  EXPECT_TRUE(items("servers.policy.linkerd.io").empty());
  // Without issuers the RequestAuthentication goes too.
  kubectl_ok({"patch", "-n", "shop", "secureservice", "tokens", "--type=merge", "-p",
              R"({"spec": {"authentication": null}})"});
  EXPECT_TRUE(
      eventually([&] { return items("requestauthentications.security.istio.io").empty(); }, std::chrono::seconds(20)));
}

TEST_F(RequestPolicyE2E, LinkerdRoutesFollowTheClientsAndStaleOnesAreDeleted) {
  const json web = json::parse(R"({"secureService": "web", "rules": [{"methods": ["GET"], "paths": ["/api/*"]}]})");
  const json admin = json::parse(R"({"secureService": "admin", "rules": [{"paths": ["/api/orders/*"]}]})");
  apply({secure_service_object("shop", "web"), secure_service_object("shop", "admin"),
         secure_service_object("shop", "orders",
                               {{"mesh", {{"provider", "Linkerd"}}}, {"allowedClients", json::array({web})}})});
  const auto route_names = [&] {
    std::set<std::string> names;
    for (const auto& r : items("httproutes.policy.linkerd.io")) names.insert(r["metadata"]["name"].get<std::string>());
    return names;
  };
  ASSERT_TRUE(eventually([&] { return route_names().size() == 1; }, std::chrono::seconds(20)));
  const std::string web_only = *route_names().begin();

  // admin may do anything under /api/orders: web's GETs there land on a route for both.
  kubectl_ok({"patch", "-n", "shop", "secureservice", "orders", "--type=merge", "-p",
              json{{"spec", {{"allowedClients", {web, admin}}}}}.dump()});
  ASSERT_TRUE(eventually([&] { return route_names().size() == 3; }, std::chrono::seconds(20)));
  EXPECT_EQ(route_names().count(web_only), 1u) << "web's own route keeps its name: it authorizes the same";
  EXPECT_EQ(items("meshtlsauthentications.policy.linkerd.io").size(), 3u);
  EXPECT_EQ(items("authorizationpolicies.policy.linkerd.io").size(), 3u);

  // Without web, only admin's route is left, under a name of its own.
  kubectl_ok({"patch", "-n", "shop", "secureservice", "orders", "--type=merge", "-p",
              json{{"spec", {{"allowedClients", {admin}}}}}.dump()});
  ASSERT_TRUE(eventually([&] { return route_names().size() == 1; }, std::chrono::seconds(20)));
  EXPECT_EQ(route_names().count(web_only), 0u);
  EXPECT_EQ(items("meshtlsauthentications.policy.linkerd.io").size(), 1u);
  EXPECT_EQ(items("authorizationpolicies.policy.linkerd.io").size(), 1u);
}

TEST_F(RequestPolicyE2E, TheApiServerRefusesBadRulesAndJwtNamingTheField) {
  struct Bad {
    json spec;
    std::string says;
  };
  const std::vector<Bad> cases = {
      {json::parse(R"({"allowedClients": [{"secureService": "a", "rules": [{"methods": ["FETCH"]}]}]})"),
       "spec.allowedClients[0].rules[0].methods[0]: Unsupported value: \"FETCH\""},
      {json::parse(R"({"allowedClients": [{"secureService": "a", "rules": [{"paths": ["/api/*/x"]}]}]})"),
       "spec.allowedClients[0].rules[0].paths[0]"},
      {json::parse(R"({"allowedClients": [{"secureService": "a", "rules": [{}]}]})"), "a rule needs methods or paths"},
      {json::parse(R"({"allowedClients": [{"podSelector": {}, "rules": [{"methods": ["GET"]}]}]})"),
       "rules need the caller's mesh identity"},
      {json::parse(R"({"authentication": {"requireJWT": true}})"), "requireJWT needs at least one issuer in jwt"},
      {json::parse(R"({"authentication": {"jwt": [{"jwksUri": "https://a/jwks"}]}})"),
       "spec.authentication.jwt[0].issuer: Required value"},
  };
  for (const auto& bad : cases) {
    const std::string file =
        dir_.write("bad.yaml", kube::write_manifests({secure_service_object("shop", "bad", bad.spec)}));
    const ProcessResult r = run_process({SSO_KUBECTL_BIN, "--kubeconfig", kubeconfig_, "apply", "-f", file});
    EXPECT_NE(r.exit_code, 0) << bad.spec.dump();
    EXPECT_THAT(r.err, HasSubstr(bad.says)) << bad.spec.dump();
  }
  EXPECT_FALSE(service("bad").is_object());
}

}  // namespace
}  // namespace sso::testing
