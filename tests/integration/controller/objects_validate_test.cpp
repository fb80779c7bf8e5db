// The objects the controller writes, checked by ../shared/tools/validate-manifests as
// kube-apiserver checks them with strict field validation (and against the Istio and
// Linkerd CRDs), so that a misspelt field fails here instead of being dropped by a cluster.
#include <gmock/gmock.h>

#include <algorithm>

#include "controller/istio.hpp"
#include "controller/linkerd.hpp"
#include "controller/network_policy.hpp"
#include "kube/manifest_yaml.hpp"
#include "process.hpp"
#include "secure_service_fixtures.hpp"

namespace sso::controller {
namespace {

using nlohmann::json;
using testing::found_peer;
using testing::make_secure_service;
using testing::missing_peer;
using testing::plain_peer;

// Writes the objects as the YAML `render` prints and runs the validator on it.
sso::testing::ProcessResult validate(const std::vector<json>& objects) {
  sso::testing::TempDir dir;
  const std::string file = dir.write("objects.yaml", kube::write_manifests(objects));
  return sso::testing::run_process({SSO_VALIDATE_MANIFESTS, file});
}

// Every kind of client at once: same and cross namespace, missing, plain pods by selectors.
std::vector<Peer> every_kind_of_client() {
  return {found_peer("web", "shop", {8443}), found_peer("checkout", "store", {8443, 9090}, "buyer"),
          missing_peer("ghost", "shop", {8443}),
          plain_peer(kube::LabelSelector{{{"app", "prometheus"}}, {{"tier", "NotIn", {"test"}}}},
                     kube::LabelSelector{{{"team", "monitoring"}}, {}}, {9090}),
          plain_peer(std::nullopt, kube::LabelSelector{{}, {{"env", "Exists", {}}}}, {9090})};
}

api::SecureService service_by_expressions() {
  api::SecureService service = make_secure_service();
  service.selector.match_expressions = {{"track", "In", {"stable", "canary"}}};
  service.ports.push_back({"dns", 5353, "UDP"});
  return service;
}

TEST(ControllerObjectsValidate, NetworkPolicyWithEveryKindOfClientAndRestrictedEgress) {
  api::SecureService service = service_by_expressions();
  service.restrict_egress = true;
  const std::vector<Peer> servers = {found_peer("ledger", "shop", {5432}), found_peer("fraud", "risk", {443}),
                                     missing_peer("gone", "shop", {80})};
  const auto result = validate({build_network_policy(service, every_kind_of_client(), servers)});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

TEST(ControllerObjectsValidate, NetworkPoliciesThatDenyEverything) {
  api::SecureService service = make_secure_service();
  service.restrict_egress = true;
  service.allow_dns = false;
  const auto result = validate({build_network_policy(make_secure_service(), {}, {}),
                                build_network_policy(service, {missing_peer("ghost", "shop", {8443})}, {})});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

TEST(ControllerObjectsValidate, IstioObjectsStrictAndPermissive) {
  api::SecureService permissive = service_by_expressions();
  permissive.name = "ledger";
  permissive.mtls_mode = api::MtlsMode::kPermissive;
  std::vector<json> objects =
      build_istio_objects(service_by_expressions(), every_kind_of_client(), "cluster.local", "cluster.local");
  for (auto& o : build_istio_objects(permissive, {}, "cluster.local", "example.org")) objects.push_back(std::move(o));
  ASSERT_EQ(objects.size(), 6u);
  const auto result = validate(objects);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

TEST(ControllerObjectsValidate, LinkerdObjectsStrictAndPermissive) {
  api::SecureService permissive = service_by_expressions();
  permissive.name = "ledger";
  permissive.mtls_mode = api::MtlsMode::kPermissive;
  std::vector<json> objects = build_linkerd_objects(service_by_expressions(), every_kind_of_client());
  for (auto& o : build_linkerd_objects(permissive, {found_peer("web", "shop", {9090})}))
    objects.push_back(std::move(o));
  const auto result = validate(objects);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

TEST(ControllerObjectsValidate, IstioRequestRulesAndJwt) {
  api::SecureService service = service_by_expressions();
  service.authentication = {{{"https://auth.example.com",
                              "https://auth.example.com/jwks",
                              {"payments", "admin"},
                              {{"X-Token", ""}, {"Authorization", "Bearer "}}},
                             {"https://other.example.com", "", {}, {}}},
                            true};
  std::vector<Peer> clients = every_kind_of_client();
  clients[0].rules = {{{"GET", "HEAD"}, {"/api/*", "/healthz"}}, {{"POST"}, {}}, {{}, {"/*"}}};
  const auto objects = build_istio_objects(service, clients, "cluster.local", "cluster.local");
  ASSERT_EQ(objects.size(), 4u);
  const auto result = validate(objects);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

TEST(ControllerObjectsValidate, LinkerdRoutesForRequestRules) {
  std::vector<std::string> many;
  for (int i = 0; i < 130; ++i) many.push_back("/item/" + std::to_string(i));
  std::vector<Peer> clients = every_kind_of_client();
  clients[0].rules = {{{"GET", "HEAD"}, {"/api/*", "/healthz"}}, {{"POST"}, {}}};
  clients[1].rules = {{{"DELETE"}, many}, {{}, {"/api/orders/*"}}};
  const auto objects = build_linkerd_objects(service_by_expressions(), clients);
  const auto routes =
      std::count_if(objects.begin(), objects.end(), [](const json& o) { return o["kind"] == "HTTPRoute"; });
  EXPECT_GE(routes, 4);
  const auto result = validate(objects);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

// The checks above are worth something only if the validator refuses a bad object.
TEST(ControllerObjectsValidate, ValidatorRefusesAMisspeltField) {
  json policy = build_network_policy(make_secure_service(), {found_peer("web", "shop", {8443})}, {});
  policy["spec"]["podSelecter"] = policy["spec"]["podSelector"];
  policy["spec"].erase("podSelector");
  EXPECT_EQ(validate({policy}).exit_code, 1);
}

TEST(ControllerObjectsValidate, ValidatorRefusesAnHttpRouteMatchOfAnUnknownType) {
  Peer web = found_peer("web", "shop", {8443});
  web.rules = {{{"GET"}, {"/api/*"}}};
  std::vector<json> objects = build_linkerd_objects(make_secure_service(), {web});
  for (auto& o : objects)
    if (o["kind"] == "HTTPRoute") o["spec"]["rules"][0]["matches"][0]["path"]["type"] = "Prefix";
  EXPECT_EQ(validate(objects).exit_code, 1);
}

}  // namespace
}  // namespace sso::controller
