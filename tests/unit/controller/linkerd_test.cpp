#include "controller/linkerd.hpp"

#include <gmock/gmock.h>

#include "secure_service_fixtures.hpp"

namespace sso::controller {
namespace {

using nlohmann::json;
using testing::found_peer;
using testing::make_secure_service;
using testing::missing_peer;
using testing::plain_peer;

// "Kind/name" of each object, in order.
std::vector<std::string> kinds_and_names(const std::vector<json>& objects) {
  std::vector<std::string> out;
  for (const auto& o : objects)
    out.push_back(o["kind"].get<std::string>() + "/" + o["metadata"]["name"].get<std::string>());
  return out;
}

json find(const std::vector<json>& objects, const std::string& kind, const std::string& name) {
  for (const auto& o : objects)
    if (o["kind"] == kind && o["metadata"]["name"] == name) return o;
  ADD_FAILURE() << "no " << kind << "/" << name;
  return json::object();
}

json service_account(const std::string& name, const std::string& ns) {
  return {{"kind", "ServiceAccount"}, {"name", name}, {"namespace", ns}};
}

TEST(LinkerdObjects, WithoutClientsAreOneDenyingServerPerPortInPortOrder) {
  api::SecureService service = make_secure_service();
  service.ports = {{"metrics", 9090, "TCP"}, {"https", 8443, "TCP"}};
  const auto objects = build_linkerd_objects(service, {});
  EXPECT_THAT(kinds_and_names(objects), ::testing::ElementsAre("Server/payments-8443", "Server/payments-9090"));
  EXPECT_EQ(objects[0]["apiVersion"], "policy.linkerd.io/v1beta3");
  EXPECT_EQ(objects[0]["metadata"]["namespace"], "shop");
  EXPECT_EQ(objects[0]["metadata"]["ownerReferences"][0]["uid"], "uid-payments");
  EXPECT_EQ(objects[0]["spec"], (json{{"podSelector", {{"matchLabels", {{"app", "payments"}}}}},
                                      {"port", 8443},
                                      {"proxyProtocol", "unknown"},
                                      {"accessPolicy", "deny"}}));
}

TEST(LinkerdObjects, AuthorizeFoundClientsOnEachPortByTheirServiceAccounts) {
  const auto objects = build_linkerd_objects(
      make_secure_service(), {found_peer("web", "shop", {8443}), found_peer("checkout", "store", {8443}, "buyer")});
  EXPECT_THAT(kinds_and_names(objects),
              ::testing::ElementsAre("Server/payments-8443", "MeshTLSAuthentication/payments-8443",
                                     "AuthorizationPolicy/payments-8443", "Server/payments-9090"));
  const json authn = find(objects, "MeshTLSAuthentication", "payments-8443");
  EXPECT_EQ(authn["apiVersion"], "policy.linkerd.io/v1alpha1");
  EXPECT_EQ(authn["spec"],
            (json{{"identityRefs", json::array({service_account("web", "shop"), service_account("buyer", "store")})}}));
  const json authz = find(objects, "AuthorizationPolicy", "payments-8443");
  EXPECT_EQ(authz["apiVersion"], "policy.linkerd.io/v1alpha1");
  EXPECT_EQ(
      authz["spec"],
      (json{{"targetRef", {{"group", "policy.linkerd.io"}, {"kind", "Server"}, {"name", "payments-8443"}}},
            {"requiredAuthenticationRefs",
             json::array(
                 {{{"group", "policy.linkerd.io"}, {"kind", "MeshTLSAuthentication"}, {"name", "payments-8443"}}})}}));
}

TEST(LinkerdObjects, GiveEachClientOnlyItsPorts) {
  const auto objects = build_linkerd_objects(
      make_secure_service(), {found_peer("web", "shop", {8443}), found_peer("prometheus", "monitoring", {9090})});
  EXPECT_EQ(find(objects, "MeshTLSAuthentication", "payments-8443")["spec"]["identityRefs"],
            json::array({service_account("web", "shop")}));
  EXPECT_EQ(find(objects, "MeshTLSAuthentication", "payments-9090")["spec"]["identityRefs"],
            json::array({service_account("prometheus", "monitoring")}));
}

TEST(LinkerdObjects, AuthorizeNobodyForAClientNotFoundOrPlainPods) {
  const auto objects = build_linkerd_objects(
      make_secure_service(), {missing_peer("ghost", "shop", {8443}),
                              plain_peer(kube::LabelSelector{{{"role", "batch"}}, {}}, std::nullopt, {8443, 9090})});
  EXPECT_THAT(kinds_and_names(objects), ::testing::ElementsAre("Server/payments-8443", "Server/payments-9090"));
}

TEST(LinkerdObjects, ServersKeepTheMatchExpressionsOfTheServiceSelector) {
  api::SecureService service = make_secure_service();
  service.selector = kube::LabelSelector{{}, {{"app", "In", {"payments", "payments-canary"}}}};
  const json selector = build_linkerd_objects(service, {})[0]["spec"]["podSelector"];
  EXPECT_EQ(selector,
            (json{{"matchExpressions",
                   json::array({{{"key", "app"}, {"operator", "In"}, {"values", {"payments", "payments-canary"}}}})}}));
}

TEST(LinkerdObjects, PermissiveServersLetUnauthenticatedCallersIn) {
  api::SecureService service = make_secure_service();
  service.mtls_mode = api::MtlsMode::kPermissive;
  for (const auto& o : build_linkerd_objects(service, {found_peer("web", "shop", {8443})})) {
    if (o["kind"] == "Server") {
      EXPECT_EQ(o["spec"]["accessPolicy"], "all-unauthenticated");
    }
  }
}

TEST(LinkerdObjects, AreTheSameWhateverTheOrderOfClients) {
  const Peer web = found_peer("web", "shop", {9090, 8443});
  const Peer checkout = found_peer("checkout", "store", {8443});
  const auto build = [](std::vector<Peer> clients) {
    return json(build_linkerd_objects(make_secure_service(), clients)).dump();
  };
  EXPECT_EQ(build({web, checkout}), build({web, checkout}));
  EXPECT_EQ(build({web, checkout}), build({checkout, web}));
  EXPECT_EQ(build({web}), build({web, web}));
}

Peer with_rules(Peer peer, std::vector<api::RequestRule> rules) {
  peer.rules = std::move(rules);
  return peer;
}

std::vector<json> of_kind(const std::vector<json>& objects, const std::string& kind) {
  std::vector<json> out;
  for (const auto& o : objects)
    if (o["kind"] == kind) out.push_back(o);
  return out;
}

// The identities the route of `match` authorizes, through its AuthorizationPolicy and
// MeshTLSAuthentication (which share the route's name).
json identities_of_route_with(const std::vector<json>& objects, const json& match) {
  for (const auto& route : of_kind(objects, "HTTPRoute"))
    for (const auto& rule : route["spec"]["rules"])
      for (const auto& m : rule["matches"])
        if (m == match) {
          const std::string name = route["metadata"]["name"];
          const json policy = find(objects, "AuthorizationPolicy", name);
          EXPECT_EQ(policy["spec"]["targetRef"],
                    (json{{"group", "policy.linkerd.io"}, {"kind", "HTTPRoute"}, {"name", name}}));
          return find(objects, "MeshTLSAuthentication", name)["spec"]["identityRefs"];
        }
  ADD_FAILURE() << "no route matches " << match.dump();
  return json();
}

TEST(LinkerdObjects, RequestRulesBecomeARouteOfTheirMatchesAuthorizedForTheClientOnly) {
  const auto objects = build_linkerd_objects(make_secure_service(),
                                             {with_rules(found_peer("checkout", "shop", {8443}),
                                                         {{{"POST"}, {"/v1/charges"}}, {{"GET"}, {"/v1/charges/*"}}})});
  const auto routes = of_kind(objects, "HTTPRoute");
  ASSERT_EQ(routes.size(), 1u);
  const json& route = routes[0];
  EXPECT_EQ(route["apiVersion"], "policy.linkerd.io/v1beta3");
  EXPECT_THAT(route["metadata"]["name"].get<std::string>(), ::testing::StartsWith("payments-8443-"));
  EXPECT_EQ(route["spec"]["parentRefs"],
            json::array({{{"group", "policy.linkerd.io"}, {"kind", "Server"}, {"name", "payments-8443"}}}));
  EXPECT_EQ(route["spec"]["rules"],
            json::parse(R"([{"matches": [{"method": "GET", "path": {"type": "PathPrefix", "value": "/v1/charges"}},
                                         {"method": "POST", "path": {"type": "Exact", "value": "/v1/charges"}}]}])"));
  // Nothing on the Server itself: its policy would authorize every route.
  for (const auto& policy : of_kind(objects, "AuthorizationPolicy"))
    EXPECT_EQ(policy["spec"]["targetRef"]["kind"], "HTTPRoute");
  // The other port, where checkout may not go, keeps its denying Server only.
  EXPECT_EQ(kinds_and_names(objects).back(), "Server/payments-9090");
}

TEST(LinkerdObjects, ClientsWithoutRulesKeepEveryRequestThroughACatchAllRoute) {
  const auto objects = build_linkerd_objects(
      make_secure_service(),
      {found_peer("audit", "ops", {8443}), with_rules(found_peer("web", "shop", {8443}), {{{"GET"}, {}}})});
  const json root = {{"path", {{"type", "PathPrefix"}, {"value", "/"}}}};
  const json get_root = {{"method", "GET"}, {"path", {{"type", "PathPrefix"}, {"value", "/"}}}};
  EXPECT_EQ(identities_of_route_with(objects, root), json::array({service_account("audit", "ops")}));
  EXPECT_EQ(identities_of_route_with(objects, get_root),
            json::array({service_account("audit", "ops"), service_account("web", "shop")}));
}

TEST(LinkerdObjects, OverlappingRulesAuthorizeTheNarrowerRouteForEveryClientWhoseRulesCoverIt) {
  // web may GET anything under /api; admin may do anything under /api/orders. A GET of
  // /api/orders/1 lands on the most specific route, which must authorize both.
  const auto objects = build_linkerd_objects(
      make_secure_service(), {with_rules(found_peer("web", "shop", {8443}), {{{"GET"}, {"/api/*"}}}),
                              with_rules(found_peer("admin", "shop", {8443}), {{{}, {"/api/orders/*"}}})});
  const auto path = [](const char* value) { return json{{"type", "PathPrefix"}, {"value", value}}; };
  EXPECT_EQ(identities_of_route_with(objects, {{"method", "GET"}, {"path", path("/api/orders")}}),
            json::array({service_account("admin", "shop"), service_account("web", "shop")}));
  EXPECT_EQ(identities_of_route_with(objects, {{"path", path("/api/orders")}}),
            json::array({service_account("admin", "shop")}));
  EXPECT_EQ(identities_of_route_with(objects, {{"method", "GET"}, {"path", path("/api")}}),
            json::array({service_account("web", "shop")}));
}

TEST(LinkerdObjects, ARouteIsRenamedWhenWhoItAuthorizesChanges) {
  const Peer web = with_rules(found_peer("web", "shop", {8443}), {{{"GET"}, {}}});
  const auto alone = of_kind(build_linkerd_objects(make_secure_service(), {web}), "HTTPRoute");
  const auto with_other =
      of_kind(build_linkerd_objects(make_secure_service(),
                                    {web, with_rules(found_peer("app", "shop", {8443}), {{{"GET"}, {}}})}),
              "HTTPRoute");
  ASSERT_EQ(alone.size(), 1u);
  ASSERT_EQ(with_other.size(), 1u);
  EXPECT_NE(alone[0]["metadata"]["name"], with_other[0]["metadata"]["name"]);
  EXPECT_EQ(alone[0]["metadata"]["name"],
            of_kind(build_linkerd_objects(make_secure_service(), {web}), "HTTPRoute")[0]["metadata"]["name"]);
}

TEST(LinkerdObjects, ManyMatchesAreSplitWithinTheHttpRouteLimits) {
  std::vector<std::string> paths;
  for (int i = 0; i < 130; ++i) paths.push_back("/item/" + std::to_string(i));
  const auto objects =
      build_linkerd_objects(make_secure_service(), {with_rules(found_peer("web", "shop", {8443}), {{{"GET"}, paths}})});
  const auto routes = of_kind(objects, "HTTPRoute");
  ASSERT_EQ(routes.size(), 2u);
  size_t matches = 0;
  for (const auto& route : routes) {
    EXPECT_LE(route["spec"]["rules"].size(), 16u);
    for (const auto& rule : route["spec"]["rules"]) {
      EXPECT_LE(rule["matches"].size(), 8u);
      matches += rule["matches"].size();
    }
    EXPECT_EQ(find(objects, "AuthorizationPolicy", route["metadata"]["name"])["spec"]["targetRef"]["name"],
              route["metadata"]["name"]);
  }
  EXPECT_EQ(matches, 130u);
}

}  // namespace
}  // namespace sso::controller
