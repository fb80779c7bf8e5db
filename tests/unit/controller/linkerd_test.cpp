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

}  // namespace
}  // namespace sso::controller
