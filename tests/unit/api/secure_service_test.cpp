#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/secure_service.hpp"
#include "status_matchers.hpp"

namespace sso::api {
namespace {

using nlohmann::json;
using sso::testing::HasCode;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

json minimal() {
  return json::parse(R"({
    "apiVersion": "secureservice.io/v1alpha1", "kind": "SecureService",
    "metadata": {"name": "payments", "namespace": "shop", "uid": "u-1", "generation": 3},
    "spec": {"selector": {"matchLabels": {"app": "payments"}}, "ports": [{"port": 8443}]}
  })");
}

TEST(SecureServiceParse, AppliesTheDefaultsTheCrdDeclares) {
  auto parsed = parse_secure_service(minimal());
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(parsed->name, "payments");
  EXPECT_EQ(parsed->ns, "shop");
  EXPECT_EQ(parsed->generation, 3);
  EXPECT_EQ(parsed->service_account_name, "payments");
  EXPECT_EQ(parsed->ports[0].protocol, "TCP");
  EXPECT_EQ(parsed->tls.mode, pki::TlsMode::kMutual);
  EXPECT_EQ(parsed->tls.secret_name, "payments-tls");
  EXPECT_EQ(parsed->tls.duration, std::chrono::hours(2160));
  EXPECT_FALSE(parsed->tls.renew_before.has_value());
  EXPECT_EQ(parsed->tls.key.algorithm, pki::KeyAlgorithm::kECDSA);
  EXPECT_EQ(parsed->tls.key.size, 256);
  EXPECT_EQ(parsed->tls.rotation_policy, RotationPolicy::kAlways);
  EXPECT_EQ(parsed->tls.mount_path, "/etc/secureservice/tls");
  EXPECT_FALSE(parsed->tls.restart_on_renewal);
  EXPECT_TRUE(parsed->network_policy_enabled);
  EXPECT_FALSE(parsed->restrict_egress);
  EXPECT_TRUE(parsed->allow_dns);
  EXPECT_EQ(parsed->mesh, MeshProvider::kNone);
  EXPECT_EQ(parsed->mtls_mode, MtlsMode::kStrict);
  EXPECT_EQ(parsed->admission_mode, AdmissionMode::kEnforce);
}

TEST(SecureServiceParse, ReadsEveryField) {
  json o = minimal();
  o["spec"] = json::parse(R"({
    "selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["pay", "payments"]}]},
    "serviceAccountName": "pay-sa",
    "ports": [{"name": "https", "port": 8443}, {"port": 9000, "protocol": "UDP"}],
    "tls": {"mode": "Server", "secretName": "pay-cert", "dnsNames": ["pay.example.com"], "duration": "48h",
            "renewBefore": "12h", "privateKey": {"algorithm": "RSA", "size": 3072, "rotationPolicy": "Never"},
            "keystores": {"pkcs12": {"enabled": true, "passwordSecretRef": {"name": "p12", "key": "password"}}},
            "mountPath": "/tls", "restartOnRenewal": true},
    "issuer": {"caSecretRef": {"name": "my-ca"}},
    "allowedClients": [{"secureService": "checkout", "namespace": "front", "ports": [8443]},
                       {"podSelector": {"matchLabels": {"role": "monitor"}}}],
    "networkPolicy": {"enabled": false, "egress": "Restricted", "allowDNS": false},
    "mesh": {"provider": "Istio", "mtlsMode": "PERMISSIVE"},
    "admission": {"mode": "Audit"}
  })");
  auto parsed = parse_secure_service(o);
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  const SecureService& s = *parsed;
  EXPECT_EQ(s.selector.match_expressions.size(), 1u);
  EXPECT_EQ(s.service_account_name, "pay-sa");
  EXPECT_EQ(s.ports[1].protocol, "UDP");
  EXPECT_EQ(s.tls.mode, pki::TlsMode::kServer);
  EXPECT_EQ(s.tls.secret_name, "pay-cert");
  EXPECT_EQ(s.tls.duration, std::chrono::hours(48));
  EXPECT_EQ(s.tls.renew_before, std::chrono::hours(12));
  EXPECT_EQ(s.tls.key.algorithm, pki::KeyAlgorithm::kRSA);
  EXPECT_EQ(s.tls.key.size, 3072);
  EXPECT_EQ(s.tls.rotation_policy, RotationPolicy::kNever);
  EXPECT_TRUE(s.tls.pkcs12);
  EXPECT_EQ(s.tls.pkcs12_password, (SecretKeyRef{"p12", "password"}));
  EXPECT_EQ(s.tls.mount_path, "/tls");
  EXPECT_TRUE(s.tls.restart_on_renewal);
  ASSERT_TRUE(s.ca_secret_ref.has_value());
  EXPECT_EQ(s.ca_secret_ref->ns, "shop");  // defaults to the SecureService's namespace
  EXPECT_EQ(s.ca_secret_ref->name, "my-ca");
  ASSERT_EQ(s.allowed_clients.size(), 2u);
  EXPECT_EQ(s.allowed_clients[0].ns, "front");
  EXPECT_THAT(s.ports_for(s.allowed_clients[0]), ElementsAre(8443));
  EXPECT_THAT(s.ports_for(s.allowed_clients[1]), ElementsAre(8443, 9000));
  EXPECT_FALSE(s.network_policy_enabled);
  EXPECT_TRUE(s.restrict_egress);
  EXPECT_FALSE(s.allow_dns);
  EXPECT_EQ(s.mesh, MeshProvider::kIstio);
  EXPECT_EQ(s.mtls_mode, MtlsMode::kPermissive);
  EXPECT_EQ(s.admission_mode, AdmissionMode::kAudit);
}

TEST(SecureServiceParse, ClientInSameNamespaceByDefault) {
  json o = minimal();
  o["spec"]["allowedClients"] = json::array({{{"secureService", "checkout"}}});
  auto parsed = parse_secure_service(o);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->allowed_clients[0].ns, "shop");
}

TEST(SecureServiceParse, ReadsRequestRulesAndJwtIssuers) {
  json o = minimal();
  o["spec"]["allowedClients"] = json::parse(R"([
    {"secureService": "checkout", "rules": [{"methods": ["POST"], "paths": ["/v1/charges", "/v1/refunds/*"]},
                                            {"paths": ["/*"]}]},
    {"secureService": "audit"}])");
  o["spec"]["authentication"] = json::parse(R"({"requireJWT": true, "jwt": [
    {"issuer": "https://auth.example.com", "jwksUri": "https://auth.example.com/jwks", "audiences": ["payments"],
     "fromHeaders": [{"name": "X-Token"}, {"name": "Authorization", "prefix": "Bearer "}]}]})");
  auto parsed = parse_secure_service(o);
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  const std::vector<RequestRule> rules = {{{"POST"}, {"/v1/charges", "/v1/refunds/*"}}, {{}, {"/*"}}};
  EXPECT_EQ(parsed->allowed_clients[0].rules, rules);
  EXPECT_TRUE(parsed->allowed_clients[1].rules.empty());
  const Authentication want{{{"https://auth.example.com",
                              "https://auth.example.com/jwks",
                              {"payments"},
                              {{"X-Token", ""}, {"Authorization", "Bearer "}}}},
                            true};
  EXPECT_EQ(parsed->authentication, want);
}

struct BadCase {
  const char* name;
  const char* spec_patch;  // merged into the minimal spec
  const char* field;       // the field the error must name
};

class SecureServiceRefuses : public ::testing::TestWithParam<BadCase> {};

TEST_P(SecureServiceRefuses, NamingTheField) {
  json o = minimal();
  o["spec"].merge_patch(json::parse(GetParam().spec_patch));
  auto parsed = parse_secure_service(o);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed, HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(parsed.error().message(), HasSubstr(std::string(GetParam().field) + ":"));
}

INSTANTIATE_TEST_SUITE_P(
    Table, SecureServiceRefuses,
    ::testing::Values(
        BadCase{"EmptySelector", R"({"selector": {"matchLabels": null}})", "spec.selector"},
        BadCase{"NoSelector", R"({"selector": null})", "spec.selector"},
        BadCase{"BadOperator", R"({"selector": {"matchExpressions": [{"key": "a", "operator": "Has"}]}})",
                "spec.selector"},
        BadCase{"NoPorts", R"({"ports": []})", "spec.ports"},
        BadCase{"PortOutOfRange", R"({"ports": [{"port": 70000}]})", "spec.ports[0].port"},
        BadCase{"DuplicatePort", R"({"ports": [{"port": 1}, {"port": 1}]})", "spec.ports[1].port"},
        BadCase{"BadProtocol", R"({"ports": [{"port": 1, "protocol": "HTTP"}]})", "spec.ports[0].protocol"},
        BadCase{"RenewBeforeNotLessThanDuration", R"({"tls": {"duration": "24h", "renewBefore": "24h"}})",
                "spec.tls.renewBefore"},
        BadCase{"DurationTooShort", R"({"tls": {"duration": "30m"}})", "spec.tls.duration"},
        BadCase{"DurationNotADuration", R"({"tls": {"duration": "90 days"}})", "spec.tls.duration"},
        BadCase{"UnknownAlgorithm", R"({"tls": {"privateKey": {"algorithm": "DSA"}}})",
                "spec.tls.privateKey.algorithm"},
        BadCase{"WrongSizeForAlgorithm", R"({"tls": {"privateKey": {"algorithm": "RSA", "size": 256}}})",
                "spec.tls.privateKey.size"},
        BadCase{"Ed25519WithSize", R"({"tls": {"privateKey": {"algorithm": "Ed25519", "size": 256}}})",
                "spec.tls.privateKey.size"},
        BadCase{"UnknownMode", R"({"tls": {"mode": "Client"}})", "spec.tls.mode"},
        BadCase{"RelativeMountPath", R"({"tls": {"mountPath": "tls"}})", "spec.tls.mountPath"},
        BadCase{"RestartOnRenewalNotABoolean", R"({"tls": {"restartOnRenewal": "yes"}})", "spec.tls.restartOnRenewal"},
        BadCase{"BadDnsName", R"({"tls": {"dnsNames": ["Not_A_Name"]}})", "spec.tls.dnsNames[0]"},
        BadCase{"KeystoreWithoutPassword", R"({"tls": {"keystores": {"pkcs12": {"enabled": true}}}})",
                "spec.tls.keystores.pkcs12.passwordSecretRef"},
        BadCase{"ClientBothKinds",
                R"({"allowedClients": [{"secureService": "a", "podSelector": {"matchLabels": {"a": "b"}}}]})",
                "spec.allowedClients[0]"},
        BadCase{"ClientNeither", R"({"allowedClients": [{"ports": [8443]}]})", "spec.allowedClients[0]"},
        BadCase{"ClientPortNotServed", R"({"allowedClients": [{"secureService": "a", "ports": [1]}]})",
                "spec.allowedClients[0].ports[0]"},
        BadCase{"NamespaceWithoutSecureService",
                R"({"allowedClients": [{"namespace": "x", "podSelector": {"matchLabels": {"a": "b"}}}]})",
                "spec.allowedClients[0].namespace"},
        BadCase{"RuleOfNeitherMethodsNorPaths",
                R"({"allowedClients": [{"secureService": "a", "rules": [{"methods": []}]}]})",
                "spec.allowedClients[0].rules[0]"},
        BadCase{"RuleWithUnknownMethod",
                R"({"allowedClients": [{"secureService": "a", "rules": [{"methods": ["FETCH"]}]}]})",
                "spec.allowedClients[0].rules[0].methods[0]"},
        BadCase{"RuleWithWildcardInside",
                R"({"allowedClients": [{"secureService": "a", "rules": [{"paths": ["/api/*/orders"]}]}]})",
                "spec.allowedClients[0].rules[0].paths[0]"},
        BadCase{"RuleWithRelativePath",
                R"({"allowedClients": [{"secureService": "a", "rules": [{"paths": ["api"]}]}]})",
                "spec.allowedClients[0].rules[0].paths[0]"},
        BadCase{"RuleWithQuery", R"({"allowedClients": [{"secureService": "a", "rules": [{"paths": ["/api?x=1"]}]}]})",
                "spec.allowedClients[0].rules[0].paths[0]"},
        BadCase{
            "RulesForPlainPods",
            R"({"allowedClients": [{"podSelector": {"matchLabels": {"a": "b"}}, "rules": [{"methods": ["GET"]}]}]})",
            "spec.allowedClients[0].rules"},
        BadCase{"JwtWithoutIssuer", R"({"authentication": {"jwt": [{"jwksUri": "https://a/jwks"}]}})",
                "spec.authentication.jwt[0].issuer"},
        BadCase{"JwksUriNotHttp", R"({"authentication": {"jwt": [{"issuer": "a", "jwksUri": "file:///etc/jwks"}]}})",
                "spec.authentication.jwt[0].jwksUri"},
        BadCase{"JwtHeaderNotAHeaderName",
                R"({"authentication": {"jwt": [{"issuer": "a", "fromHeaders": [{"name": "x token"}]}]}})",
                "spec.authentication.jwt[0].fromHeaders[0].name"},
        BadCase{"RequireJwtWithoutIssuers", R"({"authentication": {"requireJWT": true}})",
                "spec.authentication.requireJWT"},
        BadCase{"UnknownMesh", R"({"mesh": {"provider": "Consul"}})", "spec.mesh.provider"},
        BadCase{"UnknownAdmissionMode", R"({"admission": {"mode": "Block"}})", "spec.admission.mode"},
        BadCase{"WrongType", R"({"networkPolicy": {"enabled": "yes"}})", "spec.networkPolicy.enabled"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(SecureServiceParse, RefusesMoreMethodAndPathCombinationsThanTheMeshObjectsAreBuiltFor) {
  json o = minimal();
  json paths = json::array();
  for (int i = 0; i < 32; ++i) paths.push_back("/p" + std::to_string(i));
  const json rule = {{"methods", {"GET", "POST", "PUT", "DELETE"}}, {"paths", paths}};  // 128
  o["spec"]["allowedClients"] = {{{"secureService", "a"}, {"rules", {rule, rule}}}};
  EXPECT_TRUE(parse_secure_service(o).ok());
  o["spec"]["allowedClients"].push_back({{"secureService", "b"}, {"rules", {{{"methods", {"GET"}}}}}});
  auto parsed = parse_secure_service(o);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error().message(),
              HasSubstr("spec.allowedClients: Too many: the rules make 257 method and path combinations; at most 256"));
}

TEST(SecureServiceParse, RefusesANamespaceThatIsNoNamespaceName) {
  json o = minimal();
  o["metadata"]["namespace"] = "Shop_Floor";
  auto parsed = parse_secure_service(o);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error().message(), HasSubstr("metadata.namespace: Invalid value: \"Shop_Floor\""));
}

TEST(SecureServiceParse, ReportsEveryProblemAtOnce) {
  json o = minimal();
  o["spec"]["ports"] = json::array();
  o["spec"]["tls"] = {{"mode", "Client"}};
  auto parsed = parse_secure_service(o);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.error().message(), HasSubstr("spec.ports:"));
  EXPECT_THAT(parsed.error().message(), HasSubstr("spec.tls.mode:"));
  EXPECT_THAT(parsed.error().message(), HasSubstr("shop/payments"));
}

TEST(SecureServiceIdentity, CarriesServiceNamesAndSpiffeId) {
  json o = minimal();
  o["spec"]["tls"] = {{"dnsNames", {"payments.example.com", "payments"}}};
  auto parsed = parse_secure_service(o);
  ASSERT_TRUE(parsed.ok());
  auto request = identity_request(*parsed, "cluster.local", "example.org");
  ASSERT_TRUE(request.ok()) << request.error().describe();
  EXPECT_THAT(request->dns_names, ElementsAre("payments", "payments.shop", "payments.shop.svc",
                                              "payments.shop.svc.cluster.local", "payments.example.com"));
  EXPECT_EQ(request->spiffe_id, "spiffe://example.org/ns/shop/sa/payments");
  EXPECT_EQ(request->common_name, "payments.shop.svc");
}

}  // namespace
}  // namespace sso::api
