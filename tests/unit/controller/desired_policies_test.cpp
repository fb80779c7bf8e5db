#include "controller/desired_policies.hpp"

#include <gmock/gmock.h>

#include "pki_fixtures.hpp"
#include "secure_service_fixtures.hpp"

namespace sso::controller {
namespace {

using nlohmann::json;
using ::sso::testing::fixed_now;
using ::sso::testing::make_secure_service;
using ::sso::testing::make_test_ca;
using namespace std::chrono_literals;

api::AllowedClient client(const std::string& name, const std::string& ns, std::vector<int> ports = {}) {
  api::AllowedClient c;
  c.secure_service = name;
  c.ns = ns;
  c.ports = std::move(ports);
  return c;
}

TEST(ServersOf, FindsTheServicesThatAllowTheClientWithTheirPodsAndPorts) {
  const api::SecureService orders = make_secure_service("orders", "shop");
  api::SecureService payments = make_secure_service("payments", "shop");
  payments.service_account_name = "payments-sa";
  payments.allowed_clients = {client("orders", "shop", {8443})};
  const std::vector<Peer> peers = servers_of(orders, {payments});
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].secure_service, "payments");
  EXPECT_EQ(peers[0].ns, "shop");
  EXPECT_EQ(peers[0].service_account, "payments-sa");
  EXPECT_TRUE(peers[0].found);
  ASSERT_TRUE(peers[0].pod_selector);
  EXPECT_EQ(*peers[0].pod_selector, payments.selector);
  EXPECT_FALSE(peers[0].namespace_selector);
  EXPECT_EQ(peers[0].ports, (std::vector<int>{8443}));
}

// A UDP server (DNS-like, syslog) must be reachable over UDP from a client whose egress is
// restricted: the egress rule carries the server's own protocol.
TEST(ServersOf, CarriesTheServersProtocolsIntoTheClientsEgress) {
  api::SecureService orders = make_secure_service("orders", "shop");
  orders.restrict_egress = true;
  orders.allow_dns = false;
  api::SecureService metrics = make_secure_service("metrics", "shop");
  metrics.ports = {{"statsd", 8125, "UDP"}};
  metrics.allowed_clients = {client("orders", "shop")};
  const json policy = desired_policy_objects(orders, {}, servers_of(orders, {metrics}), {}).front();
  ASSERT_EQ(policy["spec"]["egress"].size(), 1u);
  EXPECT_EQ(policy["spec"]["egress"][0]["ports"], json::array({{{"protocol", "UDP"}, {"port", 8125}}}));
}

TEST(ServersOf, AllowsEveryServerPortWhenTheClientNamesNone) {
  const api::SecureService orders = make_secure_service("orders", "shop");
  api::SecureService payments = make_secure_service("payments", "shop");
  payments.allowed_clients = {client("orders", "shop")};
  const std::vector<Peer> peers = servers_of(orders, {payments});
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].ports, (std::vector<int>{8443, 9090}));
}

TEST(ServersOf, FindsServersInOtherNamespacesAsTheirOwnNamespace) {
  const api::SecureService orders = make_secure_service("orders", "shop");
  api::SecureService ledger = make_secure_service("ledger", "finance");
  ledger.allowed_clients = {client("orders", "shop")};
  const std::vector<Peer> peers = servers_of(orders, {ledger});
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].secure_service, "ledger");
  EXPECT_EQ(peers[0].ns, "finance");
}

TEST(ServersOf, IgnoresAClientOfTheSameNameInAnotherNamespace) {
  const api::SecureService orders = make_secure_service("orders", "shop");
  api::SecureService payments = make_secure_service("payments", "shop");
  payments.allowed_clients = {client("orders", "staging")};
  EXPECT_TRUE(servers_of(orders, {payments}).empty());
}

TEST(ServersOf, IgnoresOtherClientsAndPlainPods) {
  const api::SecureService orders = make_secure_service("orders", "shop");
  api::SecureService payments = make_secure_service("payments", "shop");
  api::AllowedClient pods;
  pods.pod_selector = kube::LabelSelector{{{"app", "orders"}}, {}};
  payments.allowed_clients = {client("billing", "shop"), pods};
  EXPECT_TRUE(servers_of(orders, {payments}).empty());
}

TEST(ServersOf, ListsEachServerThatAllowsTheClient) {
  const api::SecureService orders = make_secure_service("orders", "shop");
  api::SecureService payments = make_secure_service("payments", "shop");
  payments.allowed_clients = {client("orders", "shop", {8443})};
  api::SecureService stock = make_secure_service("stock", "shop");
  stock.allowed_clients = {client("billing", "shop"), client("orders", "shop", {9090})};
  api::SecureService unrelated = make_secure_service("unrelated", "shop");
  const std::vector<Peer> peers = servers_of(orders, {payments, unrelated, stock});
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_EQ(peers[0].secure_service, "payments");
  EXPECT_EQ(peers[1].secure_service, "stock");
  EXPECT_EQ(peers[1].ports, (std::vector<int>{9090}));
}

ClusterCa cluster_ca(std::string crl_pem) {
  const auto issuer = make_test_ca(fixed_now() - 1h);
  const std::string bundle = issuer.certificate().to_pem();
  return ClusterCa{issuer, {issuer.certificate()}, bundle, std::move(crl_pem), "1"};
}

TEST(BuildTrustBundle, PublishesTheBundleAndTheCrlInTheNamespace) {
  const ClusterCa ca = cluster_ca("-----BEGIN X509 CRL-----\n...\n-----END X509 CRL-----\n");
  const json cm = build_trust_bundle("shop", ca);
  EXPECT_EQ(cm["apiVersion"], "v1");
  EXPECT_EQ(cm["kind"], "ConfigMap");
  EXPECT_EQ(cm["metadata"]["name"], kTrustBundleName);
  EXPECT_EQ(cm["metadata"]["namespace"], "shop");
  EXPECT_EQ(cm["metadata"]["labels"]["app.kubernetes.io/managed-by"], "secureservice-operator");
  EXPECT_EQ(cm["data"]["ca.crt"], ca.bundle_pem);
  EXPECT_EQ(cm["data"]["ca.crl"], ca.crl_pem);
}

TEST(BuildTrustBundle, LeavesOutAnAbsentCrl) {
  const json cm = build_trust_bundle("shop", cluster_ca(""));
  EXPECT_FALSE(cm["data"].contains("ca.crl"));
}

// Every SecureService of the namespace shares it: owned by one, it would go with that one.
TEST(BuildTrustBundle, HasNoOwnerReference) {
  EXPECT_FALSE(build_trust_bundle("shop", cluster_ca(""))["metadata"].contains("ownerReferences"));
}

TEST(DesiredPolicyObjects, IsEmptyWithoutNetworkPolicyAndMesh) {
  api::SecureService service = make_secure_service();
  service.network_policy_enabled = false;
  EXPECT_TRUE(desired_policy_objects(service, {}, {}, ClusterSettings{}).empty());
}

TEST(DesiredPolicyObjects, PutsTheNetworkPolicyBeforeTheMeshObjects) {
  api::SecureService service = make_secure_service();
  service.mesh = api::MeshProvider::kIstio;
  const auto objects = desired_policy_objects(service, {}, {}, ClusterSettings{});
  ASSERT_GE(objects.size(), 2u);
  EXPECT_EQ(objects[0]["kind"], "NetworkPolicy");
  for (size_t i = 1; i < objects.size(); ++i)
    EXPECT_THAT(objects[i]["apiVersion"].get<std::string>(), ::testing::HasSubstr("istio.io"));
}

TEST(DesiredPolicyObjects, WritesLinkerdObjectsForLinkerd) {
  api::SecureService service = make_secure_service();
  service.network_policy_enabled = false;
  service.mesh = api::MeshProvider::kLinkerd;
  const auto objects = desired_policy_objects(service, {}, {}, ClusterSettings{});
  ASSERT_FALSE(objects.empty());
  for (const auto& o : objects) EXPECT_THAT(o["apiVersion"].get<std::string>(), ::testing::HasSubstr("linkerd.io"));
}

TEST(UnenforcedRequests, NoneWhenTheMeshEnforcesEverythingAsked) {
  api::SecureService service = make_secure_service();
  api::AllowedClient client{"web", "shop", std::nullopt, std::nullopt, {}, {{{"GET"}, {}}}};
  service.allowed_clients = {client};
  service.authentication.jwt = {{"https://auth.example.com", "", {}, {}}};
  service.mesh = api::MeshProvider::kIstio;
  EXPECT_TRUE(unenforced_requests(service).empty());
  service.authentication = {};
  service.mesh = api::MeshProvider::kLinkerd;
  EXPECT_TRUE(unenforced_requests(service).empty());
  service.mesh = api::MeshProvider::kNone;
  service.allowed_clients[0].rules.clear();
  EXPECT_TRUE(unenforced_requests(service).empty());
}

TEST(UnenforcedRequests, NameJwtOnLinkerdAndRulesWithoutAMesh) {
  api::SecureService service = make_secure_service();
  service.authentication = {{{"https://auth.example.com", "", {}, {}}}, true};
  service.mesh = api::MeshProvider::kLinkerd;
  EXPECT_THAT(unenforced_requests(service),
              ::testing::ElementsAre(::testing::AllOf(::testing::HasSubstr("spec.authentication.jwt: Linkerd cannot"),
                                                      ::testing::HasSubstr("requests without one are not refused"))));
  service.mesh = api::MeshProvider::kNone;
  service.allowed_clients = {{"web", "shop", std::nullopt, std::nullopt, {}, {}},
                             {"app", "front", std::nullopt, std::nullopt, {}, {{{}, {"/api/*"}}}}};
  const auto gaps = unenforced_requests(service);
  ASSERT_EQ(gaps.size(), 2u);
  EXPECT_THAT(gaps[0], ::testing::HasSubstr("no mesh verifies JWTs"));
  EXPECT_THAT(gaps[1], ::testing::HasSubstr("spec.allowedClients[1].rules: no mesh enforces request rules"));
  EXPECT_THAT(gaps[1], ::testing::HasSubstr("front/app may make every request"));
}

}  // namespace
}  // namespace sso::controller
