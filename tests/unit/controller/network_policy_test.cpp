#include "controller/network_policy.hpp"

#include <gmock/gmock.h>

#include "secure_service_fixtures.hpp"

namespace sso::controller {
namespace {

using nlohmann::json;
using testing::found_peer;
using testing::make_secure_service;
using testing::missing_peer;
using testing::plain_peer;

json tcp(int port) { return {{"protocol", "TCP"}, {"port", port}}; }

json pods(const std::string& app) { return {{"matchLabels", {{"app", app}}}}; }

json namespace_named(const std::string& ns) { return {{"matchLabels", {{"kubernetes.io/metadata.name", ns}}}}; }

TEST(NetworkPolicy, IsNamedAfterTheServiceAndSelectsItsPodsForIngressOnly) {
  const json policy = build_network_policy(make_secure_service(), {}, {});
  EXPECT_EQ(policy["apiVersion"], "networking.k8s.io/v1");
  EXPECT_EQ(policy["kind"], "NetworkPolicy");
  EXPECT_EQ(policy["metadata"]["name"], "payments");
  EXPECT_EQ(policy["metadata"]["namespace"], "shop");
  EXPECT_EQ(policy["metadata"]["ownerReferences"][0]["uid"], "uid-payments");
  EXPECT_EQ(policy["spec"]["podSelector"], pods("payments"));
  EXPECT_EQ(policy["spec"]["policyTypes"], json::array({"Ingress"}));
}

TEST(NetworkPolicy, WithoutClientsHasNoIngressRuleSoDeniesAllIngress) {
  const json spec = build_network_policy(make_secure_service(), {}, {})["spec"];
  EXPECT_FALSE(spec.contains("ingress"));
  EXPECT_FALSE(spec.contains("egress"));
}

TEST(NetworkPolicy, AllowsASameNamespaceSecureServiceByItsPodSelectorAlone) {
  const json spec = build_network_policy(make_secure_service(), {found_peer("web", "shop", {8443, 9090})}, {})["spec"];
  EXPECT_EQ(spec["ingress"], json::array({{{"from", json::array({{{"podSelector", pods("web")}}})},
                                           {"ports", json::array({tcp(8443), tcp(9090)})}}}));
}

TEST(NetworkPolicy, PinsACrossNamespaceSecureServiceByTheMetadataNameLabel) {
  const json spec = build_network_policy(make_secure_service(), {found_peer("checkout", "store", {8443})}, {})["spec"];
  EXPECT_EQ(spec["ingress"][0]["from"],
            json::array({{{"podSelector", pods("checkout")}, {"namespaceSelector", namespace_named("store")}}}));
}

TEST(NetworkPolicy, AClientNotFoundContributesNoRule) {
  const json spec = build_network_policy(make_secure_service(), {missing_peer("ghost", "shop", {8443})}, {})["spec"];
  EXPECT_FALSE(spec.contains("ingress"));
}

TEST(NetworkPolicy, AClientNotFoundDoesNotHideTheOthers) {
  const json spec = build_network_policy(
      make_secure_service(), {missing_peer("ghost", "shop", {8443}), found_peer("web", "shop", {8443})}, {})["spec"];
  ASSERT_EQ(spec["ingress"].size(), 1u);
  EXPECT_EQ(spec["ingress"][0]["from"][0]["podSelector"], pods("web"));
}

TEST(NetworkPolicy, CopiesAPlainPodSelectorClientAsWritten) {
  const kube::LabelSelector batch{{{"role", "batch"}}, {}};
  const json spec = build_network_policy(make_secure_service(), {plain_peer(batch, std::nullopt, {9090})}, {})["spec"];
  EXPECT_EQ(spec["ingress"],
            json::array({{{"from", json::array({{{"podSelector", {{"matchLabels", {{"role", "batch"}}}}}}})},
                          {"ports", json::array({tcp(9090)})}}}));
}

TEST(NetworkPolicy, CopiesANamespaceSelectorClientWithoutAddingAPodSelector) {
  const kube::LabelSelector monitoring{{{"team", "monitoring"}}, {}};
  const json spec =
      build_network_policy(make_secure_service(), {plain_peer(std::nullopt, monitoring, {9090})}, {})["spec"];
  EXPECT_EQ(spec["ingress"][0]["from"],
            json::array({{{"namespaceSelector", {{"matchLabels", {{"team", "monitoring"}}}}}}}));
}

TEST(NetworkPolicy, KeepsPodAndNamespaceSelectorsOfOneClientInOnePeerSoTheyAreAnded) {
  const kube::LabelSelector prometheus{{{"app", "prometheus"}}, {}};
  const kube::LabelSelector monitoring{{{"team", "monitoring"}}, {}};
  const json spec =
      build_network_policy(make_secure_service(), {plain_peer(prometheus, monitoring, {9090})}, {})["spec"];
  ASSERT_EQ(spec["ingress"][0]["from"].size(), 1u);
  EXPECT_EQ(spec["ingress"][0]["from"][0]["podSelector"], pods("prometheus"));
  EXPECT_EQ(spec["ingress"][0]["from"][0]["namespaceSelector"], (json{{"matchLabels", {{"team", "monitoring"}}}}));
}

TEST(NetworkPolicy, GivesEachClientOnlyItsPortsWithTheirProtocols) {
  api::SecureService service = make_secure_service();
  service.ports.push_back({"dns", 5353, "UDP"});
  const json spec = build_network_policy(
      service, {found_peer("web", "shop", {8443}), found_peer("resolver", "shop", {5353, 9090})}, {})["spec"];
  ASSERT_EQ(spec["ingress"].size(), 2u);
  EXPECT_EQ(spec["ingress"][0]["from"][0]["podSelector"], pods("resolver"));
  EXPECT_EQ(spec["ingress"][0]["ports"], json::array({{{"protocol", "UDP"}, {"port", 5353}}, tcp(9090)}));
  EXPECT_EQ(spec["ingress"][1]["from"][0]["podSelector"], pods("web"));
  EXPECT_EQ(spec["ingress"][1]["ports"], json::array({tcp(8443)}));
}

TEST(NetworkPolicy, KeepsMatchExpressionsOfTheServiceAndOfClients) {
  api::SecureService service = make_secure_service();
  service.selector = kube::LabelSelector{{}, {{"app", "In", {"payments", "payments-canary"}}}};
  Peer client = found_peer("web", "shop", {8443});
  client.pod_selector = kube::LabelSelector{{{"app", "web"}}, {{"tier", "NotIn", {"test"}}}};
  const json spec = build_network_policy(service, {client}, {})["spec"];
  EXPECT_EQ(spec["podSelector"],
            (json{{"matchExpressions",
                   json::array({{{"key", "app"}, {"operator", "In"}, {"values", {"payments", "payments-canary"}}}})}}));
  EXPECT_EQ(spec["ingress"][0]["from"][0]["podSelector"]["matchExpressions"],
            json::array({{{"key", "tier"}, {"operator", "NotIn"}, {"values", {"test"}}}}));
}

TEST(NetworkPolicy, RestrictedEgressAllowsClusterDnsAndTheServersOnTheirPorts) {
  api::SecureService service = make_secure_service();
  service.restrict_egress = true;
  const json spec = build_network_policy(
      service, {}, {found_peer("ledger", "shop", {5432}), found_peer("fraud", "risk", {443})})["spec"];
  EXPECT_EQ(spec["policyTypes"], json::array({"Ingress", "Egress"}));
  const json dns = {{"to", json::array({{{"namespaceSelector", namespace_named("kube-system")},
                                         {"podSelector", {{"matchLabels", {{"k8s-app", "kube-dns"}}}}}}})},
                    {"ports", json::array({{{"protocol", "UDP"}, {"port", 53}}, tcp(53)})}};
  const json ledger = {{"to", json::array({{{"podSelector", pods("ledger")}}})}, {"ports", json::array({tcp(5432)})}};
  const json fraud = {
      {"to", json::array({{{"podSelector", pods("fraud")}, {"namespaceSelector", namespace_named("risk")}}})},
      {"ports", json::array({tcp(443)})}};
  ASSERT_EQ(spec["egress"].size(), 3u);
  EXPECT_THAT(spec["egress"], ::testing::UnorderedElementsAre(dns, ledger, fraud));
}

TEST(NetworkPolicy, RestrictedEgressWithoutDnsOrServersDeniesAllEgress) {
  api::SecureService service = make_secure_service();
  service.restrict_egress = true;
  service.allow_dns = false;
  const json spec = build_network_policy(service, {}, {missing_peer("ledger", "shop", {5432})})["spec"];
  EXPECT_EQ(spec["policyTypes"], json::array({"Ingress", "Egress"}));
  EXPECT_FALSE(spec.contains("egress"));
}

TEST(NetworkPolicy, UnrestrictedEgressIgnoresServers) {
  const json spec = build_network_policy(make_secure_service(), {}, {found_peer("ledger", "shop", {5432})})["spec"];
  EXPECT_EQ(spec["policyTypes"], json::array({"Ingress"}));
  EXPECT_FALSE(spec.contains("egress"));
}

TEST(NetworkPolicy, IsTheSameWhateverTheOrderOfClientsAndServers) {
  api::SecureService service = make_secure_service();
  service.restrict_egress = true;
  const Peer web = found_peer("web", "shop", {9090, 8443});
  const Peer checkout = found_peer("checkout", "store", {8443});
  const Peer ledger = found_peer("ledger", "shop", {5432});
  const Peer fraud = found_peer("fraud", "risk", {443});
  const std::string first = build_network_policy(service, {web, checkout}, {ledger, fraud}).dump();
  EXPECT_EQ(first, build_network_policy(service, {web, checkout}, {ledger, fraud}).dump());
  EXPECT_EQ(first, build_network_policy(service, {checkout, web}, {fraud, ledger}).dump());
}

TEST(NetworkPolicy, WritesOneRuleForTwoClientsThatAllowTheSame) {
  const Peer web = found_peer("web", "shop", {8443});
  const json spec = build_network_policy(make_secure_service(), {web, web}, {})["spec"];
  EXPECT_EQ(spec["ingress"].size(), 1u);
}

}  // namespace
}  // namespace sso::controller
