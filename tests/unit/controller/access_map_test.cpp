#include "controller/access_map.hpp"

#include <gmock/gmock.h>

#include <fstream>
#include <iterator>
#include <random>

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

CallAnswer call(const AccessMap& map, const std::string& from, const std::string& to, int port,
                const Request& request = {}) {
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
  return map.call(AccessMap::caller_of(*caller), *callee, port, request);
}

Verdict verdict_of(const CallAnswer& a, const std::string& layer) {
  for (const auto& l : a.layers)
    if (l.layer == layer) return l.verdict;
  ADD_FAILURE() << "no layer " << layer;
  return Verdict::kNotEnforced;
}

std::string reason_of(const CallAnswer& a, const std::string& layer) {
  for (const auto& l : a.layers)
    if (l.layer == layer) return l.reason;
  ADD_FAILURE() << "no layer " << layer;
  return "";
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
  EXPECT_THAT(reason_of(front_to_checkout, "Istio"), HasSubstr("cluster.local/ns/front/sa/frontend"));

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

// ---------------------------------------------------------------------------------------
// Request rules and JWT.

TEST(AccessMap, RequestRulesAllowOnlyTheDeclaredOperationsOnIstio) {
  const AccessMap map(examples(), {});
  EXPECT_TRUE(call(map, "shop/checkout", "shop/payments", 8443, {"POST", "/v1/charges", {}}).allowed());
  EXPECT_TRUE(call(map, "shop/checkout", "shop/payments", 8443, {"GET", "/v1/charges/ch_1", {}}).allowed());
  const CallAnswer refund = call(map, "shop/checkout", "shop/payments", 8443, {"POST", "/v1/refunds", {}});
  EXPECT_EQ(denied_layer(refund), "Istio");
  EXPECT_THAT(denied_reason(refund), HasSubstr("only for: POST /v1/charges, GET /v1/charges/*"));
  // Asked about the port alone, the answer names the operations.
  EXPECT_THAT(reason_of(call(map, "shop/checkout", "shop/payments", 8443), "Istio"),
              HasSubstr("only for: POST /v1/charges, GET /v1/charges/*"));
}

TEST(AccessMap, RequestRulesOnLinkerdLandOnRoutesAndAnUnmatchedRequestIsA404) {
  const AccessMap map(examples(), {});
  EXPECT_TRUE(
      call(map, "shop/checkout", "shop/inventory", 50051, {"POST", "/inventory.v1.Inventory/Reserve", {}}).allowed());
  const CallAnswer other =
      call(map, "shop/checkout", "shop/inventory", 50051, {"POST", "/inventory.v1.Inventory/Drop", {}});
  EXPECT_EQ(denied_layer(other), "Linkerd");
  EXPECT_THAT(denied_reason(other), HasSubstr("404"));
}

TEST(AccessMap, AJwtLayerChecksTheTokensIssuerAndRequireJwtRefusesRequestsWithoutOne) {
  std::vector<api::SecureService> services = examples();
  services.push_back(
      service({{"mesh", {{"provider", "Istio"}}},
               {"allowedClients", {{{"secureService", "checkout"}}}},
               {"authentication", {{"requireJWT", true}, {"jwt", {{{"issuer", "https://auth.example.com"}}}}}}}));
  const AccessMap map(services, {});
  const CallAnswer without = call(map, "shop/checkout", "shop/open", 8443);
  EXPECT_EQ(verdict_of(without, "JWT"), Verdict::kAllowed);
  EXPECT_EQ(denied_layer(without), "Istio");
  EXPECT_THAT(denied_reason(without),
              HasSubstr("only with a valid JWT (requestPrincipals https://auth.example.com/*)"));
  const CallAnswer foreign = call(map, "shop/checkout", "shop/open", 8443, {"", "", "https://evil.example.com"});
  EXPECT_EQ(denied_layer(foreign), "JWT");
  EXPECT_THAT(denied_reason(foreign), HasSubstr("401"));
  EXPECT_TRUE(call(map, "shop/checkout", "shop/open", 8443, {"", "", "https://auth.example.com"}).allowed());
  // The map takes a declared caller to send a valid token.
  for (const auto& e : map.edges()) {
    if (e.to == "shop/open") {
      EXPECT_TRUE(e.answer.allowed()) << denied_reason(e.answer);
    }
  }
}

TEST(AccessMap, JwtOnLinkerdIsReportedAsNotEnforced) {
  const AccessMap map(
      {service({{"mesh", {{"provider", "Linkerd"}}},
                {"allowedClients", {{{"secureService", "caller"}}}},
                {"authentication", {{"requireJWT", true}, {"jwt", {{{"issuer", "https://auth.example.com"}}}}}}}),
       service(json::object(), "shop", "caller")},
      {});
  const CallAnswer a = call(map, "shop/caller", "shop/open", 8443);
  EXPECT_EQ(verdict_of(a, "JWT"), Verdict::kNotEnforced);
  EXPECT_THAT(reason_of(a, "JWT"), HasSubstr("Linkerd cannot verify JWTs"));
}

// Whether a rule as written matches a request, straight from the rule's words, as each mesh
// reads a path: Istio's "/api/*" is the string prefix "/api/"; a Gateway API PathPrefix
// "/api" (what Linkerd's HTTPRoute gets) also matches "/api" itself.
bool rule_allows(const api::RequestRule& rule, const std::string& method, const std::string& path, bool gateway) {
  if (!rule.methods.empty() && std::find(rule.methods.begin(), rule.methods.end(), method) == rule.methods.end())
    return false;
  if (rule.paths.empty()) return true;
  for (const auto& p : rule.paths) {
    if (!p.ends_with("/*")) {
      if (p == path) return true;
      continue;
    }
    const std::string prefix = p.substr(0, p.size() - 1);  // "/api/"
    if (path.starts_with(prefix)) return true;
    if (gateway && path == prefix.substr(0, prefix.size() - 1)) return true;
  }
  return false;
}

class RequestRulesEveryMesh : public ::testing::TestWithParam<const char*> {};

// Clients with random, overlapping rules: for every request of a grid, the mesh layer over the
// objects the operator writes allows exactly what the client's own rules allow. On Linkerd
// this checks the routes (one per match of the closure, authorized for whoever covers it)
// against Gateway API precedence, which picks one route per request.
TEST_P(RequestRulesEveryMesh, AllowExactlyWhatEachClientsRulesMatch) {
  const std::string mesh = GetParam();
  const bool gateway = mesh == "Linkerd";
  const std::vector<std::string> methods = {"GET", "POST", "DELETE"};
  const std::vector<std::string> paths = {"/", "/api", "/api/orders", "/api/orders/1", "/apix", "/web/a", "/healthz"};
  const std::vector<std::string> rule_paths = {"/api/*", "/api/orders/*", "/healthz", "/*", "/web/*", "/api"};
  std::mt19937 random(20261126);
  for (int round = 0; round < 60; ++round) {
    json clients = json::array();
    std::vector<api::SecureService> services;
    for (int c = 0; c < 4; ++c) {
      const std::string name = "client" + std::to_string(c);
      services.push_back(service(json::object(), "shop", name));
      json entry = {{"secureService", name}};
      const int rule_count = static_cast<int>(random() % 3);  // 0: every request
      for (int r = 0; r < rule_count; ++r) {
        json rule = json::object();
        if (random() % 3 != 0) rule["methods"] = {methods[random() % methods.size()]};
        if (random() % 4 != 0 || !rule.contains("methods")) {
          rule["paths"] = {rule_paths[random() % rule_paths.size()]};
          if (random() % 2) rule["paths"].push_back(rule_paths[random() % rule_paths.size()]);
        }
        entry["rules"].push_back(rule);
      }
      clients.push_back(entry);
    }
    services.push_back(
        service({{"networkPolicy", {{"enabled", false}}}, {"mesh", {{"provider", mesh}}}, {"allowedClients", clients}},
                "shop", "server"));
    const api::SecureService server = services.back();
    const AccessMap map(services, {});
    for (size_t c = 0; c < server.allowed_clients.size(); ++c)
      for (const auto& method : methods)
        for (const auto& path : paths) {
          const auto& rules = server.allowed_clients[c].rules;
          const bool want = rules.empty() || std::any_of(rules.begin(), rules.end(), [&](const api::RequestRule& r) {
                              return rule_allows(r, method, path, gateway);
                            });
          const CallAnswer got = call(map, "shop/client" + std::to_string(c), "shop/server", 8443, {method, path, {}});
          ASSERT_EQ(got.allowed(), want) << "round " << round << ": client" << c << " " << method << " " << path
                                         << "; rules " << clients[c].dump() << "; " << denied_reason(got);
        }
  }
}

INSTANTIATE_TEST_SUITE_P(Meshes, RequestRulesEveryMesh, ::testing::Values("Istio", "Linkerd"));

}  // namespace
}  // namespace sso::controller
