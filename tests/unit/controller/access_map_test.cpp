#include "controller/access_map.hpp"

#include <gmock/gmock.h>

#include <fstream>
#include <iterator>

#include "kube/manifest_yaml.hpp"

namespace sso::controller {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// The examples' SecureServices: frontend (front) -> checkout (shop, Istio) -> payments (shop,
// Istio, egress Restricted) and inventory (shop, Linkerd); catalog (shop) open to its namespace.
std::vector<api::SecureService> examples() {
  std::vector<api::SecureService> out;
  for (const char* file : {"shop.yaml", "catalog-server-only.yaml", "inventory-linkerd.yaml"}) {
    std::ifstream in(std::string(SSO_EXAMPLES_DIR) + "/" + file);
    auto objects = kube::read_manifests(std::string(std::istreambuf_iterator<char>(in), {}), file);
    EXPECT_TRUE(objects.ok()) << file;
    if (!objects.ok()) continue;
    for (const auto& o : *objects) {
      auto parsed = api::parse_secure_service(o);
      EXPECT_TRUE(parsed.ok()) << file << ": " << parsed.error().describe();
      if (parsed.ok()) out.push_back(std::move(*parsed));
    }
  }
  return out;
}

api::SecureService service(const json& spec, const std::string& ns = "shop", const std::string& name = "open") {
  json o = {{"apiVersion", "secureservice.io/v1alpha1"},
            {"kind", "SecureService"},
            {"metadata", {{"name", name}, {"namespace", ns}}},
            {"spec", {{"selector", {{"matchLabels", {{"app", name}}}}}, {"ports", {{{"port", 8443}}}}}}};
  o["spec"].merge_patch(spec);
  auto parsed = api::parse_secure_service(o);
  EXPECT_TRUE(parsed.ok()) << parsed.error().describe();
  return parsed.ok() ? *parsed : api::SecureService{};
}

CallAnswer call(const AccessMap& map, const std::string& from, const std::string& to, int port) {
  const auto split = [](const std::string& key) {
    const auto slash = key.find('/');
    return std::make_pair(key.substr(0, slash), key.substr(slash + 1));
  };
  const auto [from_ns, from_name] = split(from);
  const auto [to_ns, to_name] = split(to);
  const api::SecureService* caller = map.find(from_ns, from_name);
  const api::SecureService* callee = map.find(to_ns, to_name);
  EXPECT_TRUE(caller && callee) << from << " -> " << to;
  if (!caller || !callee) return {};
  return map.call(AccessMap::caller_of(*caller), *callee, port);
}

Verdict verdict_of(const CallAnswer& a, const std::string& layer) {
  for (const auto& l : a.layers)
    if (l.layer == layer) return l.verdict;
  ADD_FAILURE() << "no layer " << layer;
  return Verdict::kNotEnforced;
}

std::string denied_layer(const CallAnswer& a) { return a.denied_by() ? a.denied_by()->layer : "(allowed)"; }
std::string denied_reason(const CallAnswer& a) { return a.denied_by() ? a.denied_by()->reason : ""; }

TEST(AccessMap, TheExamplesChainIsAllowedAcrossNamespacesThroughEveryLayer) {
  const AccessMap map(examples(), {});
  const CallAnswer front_to_checkout = call(map, "front/frontend", "shop/checkout", 8443);
  EXPECT_TRUE(front_to_checkout.allowed()) << denied_reason(front_to_checkout);
  EXPECT_EQ(verdict_of(front_to_checkout, "NetworkPolicy egress"), Verdict::kNotEnforced);
  EXPECT_EQ(verdict_of(front_to_checkout, "NetworkPolicy ingress"), Verdict::kAllowed);
  EXPECT_EQ(verdict_of(front_to_checkout, "Istio"), Verdict::kAllowed);
  EXPECT_THAT(front_to_checkout.layers[2].reason, HasSubstr("cluster.local/ns/front/sa/frontend"));

  const CallAnswer checkout_to_payments = call(map, "shop/checkout", "shop/payments", 8443);
  EXPECT_TRUE(checkout_to_payments.allowed()) << denied_reason(checkout_to_payments);
  const CallAnswer checkout_to_inventory = call(map, "shop/checkout", "shop/inventory", 50051);
  EXPECT_TRUE(checkout_to_inventory.allowed()) << denied_reason(checkout_to_inventory);
  EXPECT_EQ(verdict_of(checkout_to_inventory, "Linkerd"), Verdict::kAllowed);
}

TEST(AccessMap, ACallerNotAllowedIsDeniedByTheCalleesIngressNetworkPolicy) {
  const AccessMap map(examples(), {});
  const CallAnswer a = call(map, "front/frontend", "shop/payments", 8443);
  EXPECT_EQ(denied_layer(a), "NetworkPolicy ingress");
  EXPECT_THAT(denied_reason(a), HasSubstr("not in spec.allowedClients of shop/payments"));
}

TEST(AccessMap, APortTheClientWasNotGivenIsDeniedNamingThePortsItWas) {
  const AccessMap map(examples(), {});
  const CallAnswer a = call(map, "front/frontend", "shop/checkout", 9090);
  EXPECT_EQ(denied_layer(a), "NetworkPolicy ingress");
  EXPECT_THAT(denied_reason(a), HasSubstr("only on 8443/TCP"));
}

// payments restricts its egress to the SecureServices that allow it: catalog admits every pod
// of shop, but payments may not reach it.
TEST(AccessMap, ACallerWithRestrictedEgressIsDeniedByItsOwnNetworkPolicy) {
  const AccessMap map(examples(), {});
  const CallAnswer a = call(map, "shop/payments", "shop/catalog", 443);
  EXPECT_EQ(denied_layer(a), "NetworkPolicy egress");
  EXPECT_EQ(verdict_of(a, "NetworkPolicy ingress"), Verdict::kAllowed);
  EXPECT_TRUE(call(map, "shop/checkout", "shop/catalog", 443).allowed());
}

TEST(AccessMap, TheMeshDeniesAnIdentityNetworkPolicyDoesNotStop) {
  std::vector<api::SecureService> services = examples();
  services.push_back(service({{"networkPolicy", {{"enabled", false}}}, {"mesh", {{"provider", "Istio"}}}}));
  services.push_back(service({{"networkPolicy", {{"enabled", false}}},
                              {"mesh", {{"provider", "Linkerd"}}},
                              {"allowedClients", {{{"secureService", "checkout"}}}}},
                             "shop", "linked"));
  const AccessMap map(services, {});
  const CallAnswer istio = call(map, "shop/checkout", "shop/open", 8443);
  EXPECT_EQ(verdict_of(istio, "NetworkPolicy ingress"), Verdict::kNotEnforced);
  EXPECT_EQ(denied_layer(istio), "Istio");
  EXPECT_THAT(denied_reason(istio), HasSubstr("cluster.local/ns/shop/sa/checkout"));
  const CallAnswer linkerd = call(map, "front/frontend", "shop/linked", 8443);
  EXPECT_EQ(denied_layer(linkerd), "Linkerd");
  EXPECT_THAT(denied_reason(linkerd), HasSubstr("ServiceAccount front/frontend"));
  EXPECT_TRUE(call(map, "shop/checkout", "shop/linked", 8443).allowed());
}

TEST(AccessMap, WhereNoLayerIsEnforcedACallIsAllowedAndEveryLayerSaysSo) {
  const AccessMap map({service({{"networkPolicy", {{"enabled", false}}}}), service(json::object(), "shop", "caller")},
                      {});
  const CallAnswer a = call(map, "shop/caller", "shop/open", 8443);
  EXPECT_TRUE(a.allowed());
  for (const auto& l : a.layers) EXPECT_EQ(l.verdict, Verdict::kNotEnforced) << l.layer << ": " << l.reason;
}

TEST(AccessMap, PlainPodsHaveNoMeshIdentityAndAStrictIstioServiceRefusesThem) {
  const AccessMap map(
      {service({{"mesh", {{"provider", "Istio"}}},
                {"allowedClients",
                 {{{"podSelector", {{"matchLabels", {{"app", "prometheus"}}}}},
                   {"namespaceSelector", {{"matchLabels", {{"kubernetes.io/metadata.name", "monitoring"}}}}}}}}})},
      {});
  const auto edges = map.edges();
  ASSERT_EQ(edges.size(), 1u);
  EXPECT_EQ(edges[0].from.name, "pods app=prometheus in namespaces kubernetes.io/metadata.name=monitoring");
  EXPECT_EQ(verdict_of(edges[0].answer, "NetworkPolicy ingress"), Verdict::kAllowed);
  EXPECT_EQ(denied_layer(edges[0].answer), "Istio");
  EXPECT_THAT(denied_reason(edges[0].answer), HasSubstr("STRICT"));
}

TEST(AccessMap, EdgesCoverEveryAllowedClientOnEveryPortItIsGiven) {
  std::vector<api::SecureService> services = examples();
  services.push_back(service({{"allowedClients", {{{"secureService", "ghost"}, {"namespace", "front"}}}}}));
  const AccessMap map(services, {});
  std::vector<std::string> seen;
  for (const auto& e : map.edges())
    seen.push_back(e.from.name + " -> " + e.to + ":" + std::to_string(e.port) + (e.answer.allowed() ? "" : " denied"));
  EXPECT_THAT(seen,
              ::testing::UnorderedElementsAre(
                  "pods app.kubernetes.io/name=ingress-nginx in namespaces kubernetes.io/metadata.name=ingress-nginx "
                  "-> front/frontend:8443",
                  "pods (any) in namespace shop -> shop/catalog:443", "front/frontend -> shop/checkout:8443",
                  "shop/checkout -> shop/inventory:50051", "front/ghost -> shop/open:8443 denied",
                  "shop/checkout -> shop/payments:8443"));
}

}  // namespace
}  // namespace sso::controller
