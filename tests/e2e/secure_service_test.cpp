// The SecureService controller end to end: the operator binary against the API test server,
// the CRD and the examples applied with kubectl, results checked with openssl and
// validate-manifests, as a user would check them.
#include <signal.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>

#include "api/secure_service.hpp"
#include "api_test_client.hpp"
#include "base/base64.hpp"
#include "kube/manifest_yaml.hpp"
#include "kube_test_server.hpp"
#include "operator_process.hpp"
#include "process.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const std::vector<std::pair<std::string, std::string>> kExampleServices = {
    {"front", "frontend"}, {"shop", "checkout"}, {"shop", "payments"}, {"shop", "catalog"}, {"shop", "inventory"}};

std::string decode(const json& secret, const std::string& key) {
  auto v = base64_decode(secret["data"].value(key, ""));
  return v.ok() ? *v : "";
}

class SecureServiceE2E : public OperatorClusterTest {
 protected:
  void SetUp() override {
    OperatorClusterTest::SetUp();
    if (HasFatalFailure()) return;
    kubectl_ok({"apply", "-f", std::string(SSO_EXAMPLES_DIR) + "/00-namespaces.yaml"});
  }

  void install_meshes() { kubectl_ok({"apply", "-f", SSO_MESH_CRDS}); }

  void start_operator(const std::vector<std::string>& extra_flags = {}) {
    port_ = free_port_pair();
    std::vector<std::string> flags = {"--ca-rotation-propagation", "1s", "--ca-rotation-overlap", "1h"};
    flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
    const auto argv = operator_argv(port_, flags);
    operator_ = std::make_unique<BackgroundProcess>(argv, dir_.file("operator-" + std::to_string(port_) + ".log"));
  }

  void stop_operator() {
    operator_->signal(SIGTERM);
    ASSERT_EQ(operator_->wait(std::chrono::seconds(20)), 0);
  }

  json get(const std::string& path) {
    auto r = api_->get(path);
    return r.code == 200 ? r.body : json(nullptr);
  }
  json service(const std::string& ns, const std::string& name) {
    return get("/apis/secureservice.io/v1alpha1/namespaces/" + ns + "/secureservices/" + name);
  }
  json secret(const std::string& ns, const std::string& name) {
    return get("/api/v1/namespaces/" + ns + "/secrets/" + name);
  }

  bool all_ready_of(const std::vector<std::pair<std::string, std::string>>& services) {
    return eventually(
        [&] {
          for (const auto& [ns, name] : services)
            if (condition(service(ns, name), "Ready") != "True") return false;
          return true;
        },
        std::chrono::seconds(30));
  }
  bool all_ready() { return all_ready_of(kExampleServices); }
  // The mesh CRDs, the operator, and every example until Ready.
  bool start_with_the_examples_ready() {
    install_meshes();
    start_operator();
    kubectl_ok({"apply", "-f", SSO_EXAMPLES_DIR});
    return all_ready();
  }

  std::string describe_not_ready() {
    std::string out;
    for (const auto& [ns, name] : kExampleServices) {
      const json s = service(ns, name);
      out += ns + "/" + name + ": " + condition(s, "Ready") + " " + condition(s, "Ready", "reason") + " " +
             condition(s, "Ready", "message") + "\n";
    }
    return out + operator_->output().substr(0, 4000);
  }

  // Every object the operator wrote for the examples, for validate-manifests.
  std::vector<json> written_objects() {
    std::vector<json> out;
    for (const char* ns_name : {"front", "shop"}) {
      const std::string ns = ns_name;
      for (const std::string& path :
           {"/api/v1/namespaces/" + ns + "/secrets", "/api/v1/namespaces/" + ns + "/configmaps",
            "/apis/networking.k8s.io/v1/namespaces/" + ns + "/networkpolicies",
            "/apis/security.istio.io/v1/namespaces/" + ns + "/peerauthentications",
            "/apis/security.istio.io/v1/namespaces/" + ns + "/authorizationpolicies",
            "/apis/networking.istio.io/v1/namespaces/" + ns + "/destinationrules",
            "/apis/policy.linkerd.io/v1beta3/namespaces/" + ns + "/servers",
            "/apis/policy.linkerd.io/v1alpha1/namespaces/" + ns + "/meshtlsauthentications",
            "/apis/policy.linkerd.io/v1alpha1/namespaces/" + ns + "/authorizationpolicies"}) {
        const json list = get(path + "?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dsecureservice-operator");
        if (!list.is_object()) continue;
        const std::string api_version = list.value("apiVersion", "v1");
        std::string kind = list.value("kind", "");
        kind = kind.substr(0, kind.size() - 4);  // FooList -> Foo
        for (json item : list.value("items", json::array())) {
          item["apiVersion"] = api_version;
          item["kind"] = kind;
          item["metadata"].erase("managedFields");
          out.push_back(std::move(item));
        }
      }
    }
    return out;
  }

  std::map<std::string, std::string> serials() {
    std::map<std::string, std::string> out;
    for (const auto& [ns, name] : kExampleServices)
      out[ns + "/" + name] = service(ns, name)["status"]["certificate"].value("serialNumber", "");
    return out;
  }

  std::unique_ptr<BackgroundProcess> operator_;
  uint16_t port_ = 0;
};

TEST_F(SecureServiceE2E, TheExampleChainBecomesReadyWithVerifiableIdentitiesAndValidObjects) {
  ASSERT_TRUE(start_with_the_examples_ready()) << describe_not_ready();

  for (const auto& [ns, name] : kExampleServices) {
    const json s = service(ns, name);
    const std::string secret_name = name + "-tls";
    const json sec = secret(ns, secret_name);
    ASSERT_TRUE(sec.is_object()) << ns << "/" << secret_name;
    EXPECT_EQ(sec["type"], "kubernetes.io/tls");
    EXPECT_EQ(sec["metadata"]["labels"]["app.kubernetes.io/managed-by"], "secureservice-operator");
    EXPECT_EQ(sec["metadata"]["ownerReferences"][0]["uid"], s["metadata"]["uid"]);
    const std::string crt = dir_.write(name + ".crt", decode(sec, "tls.crt"));
    const std::string ca = dir_.write(name + "-ca.crt", decode(sec, "ca.crt"));
    const std::string purpose = name == "catalog" ? "sslserver" : "sslclient";
    auto verify = run_process({SSO_OPENSSL_BIN, "verify", "-purpose", purpose, "-CAfile", ca, crt});
    EXPECT_EQ(verify.exit_code, 0) << name << ": " << verify.out << verify.err;
    auto sans = run_process({SSO_OPENSSL_BIN, "x509", "-in", crt, "-noout", "-ext", "subjectAltName"});
    EXPECT_THAT(sans.out, HasSubstr("DNS:" + name + "." + ns + ".svc.cluster.local"));
    EXPECT_THAT(sans.out, HasSubstr("URI:spiffe://cluster.local/ns/" + ns + "/sa/" + name));
    // The key matches the certificate: their public keys are the same.
    const std::string key = dir_.write(name + ".key", decode(sec, "tls.key"));
    auto from_key = run_process({SSO_OPENSSL_BIN, "pkey", "-in", key, "-pubout"});
    auto from_cert = run_process({SSO_OPENSSL_BIN, "x509", "-in", crt, "-noout", "-pubkey"});
    EXPECT_EQ(from_key.out, from_cert.out) << name;
    EXPECT_EQ(s["status"]["certificate"].value("revision", 0), 1);
    EXPECT_EQ(s["status"].value("observedGeneration", 0), s["metadata"].value("generation", -1));
  }
  // The trust bundle in each namespace, and the policies for the mesh users.
  EXPECT_TRUE(get("/api/v1/namespaces/shop/configmaps/secureservice-trust-bundle").is_object());
  EXPECT_TRUE(get("/api/v1/namespaces/front/configmaps/secureservice-trust-bundle").is_object());
  EXPECT_TRUE(get("/apis/security.istio.io/v1/namespaces/shop/authorizationpolicies/payments").is_object());
  EXPECT_EQ(get("/apis/security.istio.io/v1/namespaces/shop/peerauthentications/checkout")["spec"]["mtls"]["mode"],
            "STRICT");
  EXPECT_EQ(get("/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies").value("items", json::array()).size(), 4u);

  const std::vector<json> objects = written_objects();
  EXPECT_GE(objects.size(), 5u + 4u + 2u + 6u);
  const std::string file = dir_.write("written.yaml", kube::write_manifests(objects));
  auto valid = run_process({SSO_VALIDATE_MANIFESTS, "--crds", SSO_CRDS_DIR, file});
  // The validator's report names objects and fields, never Secret data.
  EXPECT_EQ(valid.exit_code, 0) << valid.out << valid.err;
}

TEST_F(SecureServiceE2E, MeshNotInstalledIsAConditionAndTheRestStillWorks) {
  start_operator();
  kubectl_ok({"apply", "-f", SSO_EXAMPLES_DIR});
  // Once its certificate is issued (the first reconciles may run before the CA is loaded),
  // checkout is not Ready for the mesh alone.
  ASSERT_TRUE(eventually(
      [&] {
        const json checkout = service("shop", "checkout");
        return condition(checkout, "CertificateReady") == "True" &&
               condition(checkout, "MeshReady", "reason") == "MeshNotInstalled";
      },
      std::chrono::seconds(30)))
      << describe_not_ready();
  const json checkout = service("shop", "checkout");
  EXPECT_EQ(condition(checkout, "Ready"), "False");
  EXPECT_EQ(condition(checkout, "Ready", "reason"), "MeshNotInstalled");
  EXPECT_EQ(condition(checkout, "NetworkPolicyReady"), "True");
  EXPECT_THAT(condition(checkout, "MeshReady", "message"), HasSubstr("Istio is not installed"));
  // A service without a mesh is Ready all the same.
  EXPECT_TRUE(eventually([&] { return condition(service("front", "frontend"), "Ready") == "True"; }));
}

// An Istio service whose selector Istio cannot express gets only its DestinationRule
// (SelectorNotSupported); switched to Linkerd, that DestinationRule must not stay behind.
TEST_F(SecureServiceE2E, SwitchingMeshProviderRemovesWhatTheOldOneLeftEvenWhenItWasNotApplied) {
  install_meshes();
  start_operator();
  json reports = json::parse(R"({"apiVersion": "secureservice.io/v1alpha1", "kind": "SecureService",
    "metadata": {"name": "reports", "namespace": "shop"},
    "spec": {"selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["reports"]}]},
             "ports": [{"port": 8443}], "mesh": {"provider": "Istio"}}})");
  ASSERT_EQ(api_->post("/apis/secureservice.io/v1alpha1/namespaces/shop/secureservices", reports).code, 201);
  const std::string rules = "/apis/networking.istio.io/v1/namespaces/shop/destinationrules";
  auto owned_rules = [&] {
    size_t n = 0;
    for (const auto& r : get(rules).value("items", json::array()))
      if (r["metadata"].value("labels", json::object()).value("secureservice.io/name", "") == "reports") ++n;
    return n;
  };
  ASSERT_TRUE(eventually([&] {
    const json s = service("shop", "reports");
    return condition(s, "MeshReady", "reason") == "SelectorNotSupported" &&
           condition(s, "CertificateReady") == "True" && owned_rules() == 1;
  })) << describe_not_ready();

  // A merge patch, as `kubectl patch` sends: the operator may be writing the status meanwhile,
  // which would make a PUT of what was read a 409 Conflict.
  const auto edit = api_->patch("/apis/secureservice.io/v1alpha1/namespaces/shop/secureservices/reports",
                                R"({"spec": {"mesh": {"provider": "Linkerd"}}})", "application/merge-patch+json");
  ASSERT_EQ(edit.code, 200) << edit.body.dump();
  EXPECT_TRUE(eventually([&] {
    return condition(service("shop", "reports"), "MeshReady", "reason") == "LinkerdPolicyApplied";
  })) << describe_not_ready();
  EXPECT_TRUE(eventually([&] { return owned_rules() == 0; })) << "the Istio DestinationRule stayed";
}

TEST_F(SecureServiceE2E, EditsAndDeletionsOfOwnedObjectsAreUndone) {
  ASSERT_TRUE(start_with_the_examples_ready()) << describe_not_ready();
  const std::string np = "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/payments";
  const json original = get(np)["spec"];
  ASSERT_TRUE(original.is_object());

  auto edit = api_->patch(np, R"({"spec": {"ingress": [{}]}})", "application/merge-patch+json");
  ASSERT_EQ(edit.code, 200) << edit.body.dump();
  EXPECT_TRUE(eventually([&] { return get(np)["spec"] == original; })) << get(np).dump();

  ASSERT_EQ(api_->del(np).code, 200);
  EXPECT_TRUE(eventually([&] { return get(np).is_object() && get(np)["spec"] == original; }));

  const std::string bundle = "/api/v1/namespaces/shop/configmaps/secureservice-trust-bundle";
  ASSERT_EQ(api_->del(bundle).code, 200);
  EXPECT_TRUE(eventually([&] { return get(bundle).is_object(); }));

  // A deleted Secret is issued again; an edited one (a foreign key) is re-issued too, and the
  // key and certificate match again.
  ASSERT_EQ(api_->del("/api/v1/namespaces/shop/secrets/payments-tls").code, 200);
  EXPECT_TRUE(eventually([&] { return secret("shop", "payments-tls").is_object(); }));
  const std::string authz = "/apis/security.istio.io/v1/namespaces/shop/authorizationpolicies/payments";
  const json rules = get(authz)["spec"];
  auto widen = api_->patch(authz, R"({"spec": {"rules": [{}]}})", "application/merge-patch+json");
  ASSERT_EQ(widen.code, 200);
  // Mesh objects are not watched (their CRDs may be absent): the next reconcile of the service
  // puts them back. An edit of the service brings one at once.
  kubectl_ok({"annotate", "-n", "shop", "secureservice", "payments", "example.com/touch=1"});
  EXPECT_TRUE(eventually([&] { return get(authz)["spec"] == rules; }, std::chrono::seconds(20)));
}

// A new SecureService costs its writes and no reads before them: no GET of an identity Secret
// that does not exist yet (answered 404) and no list of mesh kinds, neither before their first
// create nor on the reconciles that the operator's own writes bring back. bench_scale counted
// 12.4 requests per SecureService before, 8.0 after.
TEST_F(SecureServiceE2E, ANewSecureServiceIsWrittenWithoutReadingFirst) {
  ASSERT_TRUE(start_with_the_examples_ready()) << describe_not_ready();
  // The reconciles that the status writes bring back run after Ready: until they are done,
  // the operator keeps asking.
  auto is_operator = [](const apiserver::RequestRecord& r) {
    return r.user_agent.rfind("secureservice-operator", 0) == 0;
  };
  EXPECT_TRUE(eventually(
      [&] {
        const auto log = server_->api().request_log().snapshot();
        for (auto it = log.rbegin(); it != log.rend(); ++it)
          if (is_operator(*it) && it->verb != "watch")
            return std::chrono::steady_clock::now() - it->at > std::chrono::seconds(1);
        return true;
      },
      std::chrono::seconds(20)));
  int secret_gets = 0, mesh_created = 0;
  for (const auto& r : server_->api().request_log().snapshot()) {
    if (!is_operator(r) || (r.ns != "front" && r.ns != "shop")) continue;
    const bool mesh = r.group == "security.istio.io" || r.group == "networking.istio.io";
    // A GET after a create answered AlreadyExists (the watch had not brought our Secret yet)
    // finds it: only a 404 is a read that the create could have answered.
    if (r.verb == "get" && r.resource == "secrets" && r.code == 404) ++secret_gets;
    if (mesh && r.verb == "create" && r.code == 201) ++mesh_created;
  }
  EXPECT_EQ(secret_gets, 0);
  // Each mesh object created once. (Mesh lists are not counted: a reconcile whose status write
  // met a conflict under load has no MeshReady yet, creates again, meets AlreadyExists and
  // lists; a fresh-clone run saw that.)
  // checkout and payments: PeerAuthentication, DestinationRule, AuthorizationPolicy; payments'
  // RequestAuthentication.
  EXPECT_EQ(mesh_created, 7);
}

TEST_F(SecureServiceE2E, ACaRotationReissuesEveryLeafWhileTheBundleCarriesBothCas) {
  ASSERT_TRUE(start_with_the_examples_ready()) << describe_not_ready();
  const auto before = serials();
  const std::string ca_path = "/api/v1/namespaces/default/secrets/secureservice-operator-ca";
  const std::string old_ca = decode(get(ca_path), "tls.crt");

  kubectl_ok({"annotate", "-n", "default", "secret", "secureservice-operator-ca", "secureservice.io/rotate=now"});
  ASSERT_TRUE(eventually(
      [&] {
        const std::string now_ca = decode(get(ca_path), "tls.crt");
        return !now_ca.empty() && now_ca != old_ca;
      },
      std::chrono::seconds(20)));
  const std::string new_ca = decode(get(ca_path), "tls.crt");
  const std::string new_ca_file = dir_.write("new-ca.crt", new_ca);
  const std::string old_ca_file = dir_.write("old-ca.crt", old_ca);

  // Every leaf is re-issued by the new CA; each Secret's ca.crt trusts both CAs meanwhile.
  ASSERT_TRUE(eventually(
      [&] {
        const auto now = serials();
        for (const auto& [key, serial] : now)
          if (serial.empty() || serial == before.at(key)) return false;
        return true;
      },
      std::chrono::seconds(30)))
      << describe_not_ready();
  for (const auto& [ns, name] : kExampleServices) {
    const json sec = secret(ns, name + "-tls");
    const std::string crt = dir_.write(name + "-rotated.crt", decode(sec, "tls.crt"));
    auto by_new = run_process({SSO_OPENSSL_BIN, "verify", "-CAfile", new_ca_file, crt});
    EXPECT_EQ(by_new.exit_code, 0) << name << by_new.err;
    const std::string bundle = decode(sec, "ca.crt");
    EXPECT_NE(bundle.find(new_ca.substr(0, 200)), std::string::npos) << name;
    EXPECT_NE(bundle.find(old_ca.substr(0, 200)), std::string::npos) << name;
    EXPECT_EQ(service(ns, name)["status"]["certificate"].value("revision", 0), 2) << name;
  }
  // A leaf of the old CA still verifies against the bundle that workloads mount.
  const std::string bundle_file =
      dir_.write("bundle.crt", get("/api/v1/namespaces/shop/configmaps/secureservice-trust-bundle")["data"]["ca.crt"]);
  auto old_leaf_against_bundle = run_process({SSO_OPENSSL_BIN, "verify", "-CAfile", bundle_file, old_ca_file});
  EXPECT_EQ(old_leaf_against_bundle.exit_code, 0) << old_leaf_against_bundle.err;
}

// `kubectl delete secret` of the cluster CA under a running leader: the CA it holds is put
// back, with a Warning, and no certificate changes. Minting a new CA instead would re-issue
// every leaf at once, with no overlap in which peers trust both CAs.
TEST_F(SecureServiceE2E, ADeletedCaSecretIsPutBackAndNothingIsReissued) {
  ASSERT_TRUE(start_with_the_examples_ready()) << describe_not_ready();
  const auto before = serials();
  const std::string ca_path = "/api/v1/namespaces/default/secrets/secureservice-operator-ca";
  const json ca_before = get(ca_path);
  const std::string uid_before = ca_before["metadata"].value("uid", "");
  kubectl_ok({"delete", "secret", "secureservice-operator-ca", "-n", "default"});
  ASSERT_TRUE(eventually([&] {
    const json ca = get(ca_path);
    return ca.is_object() && ca["metadata"].value("uid", "") != uid_before;
  })) << operator_->output().substr(0, 4000);
  const json ca_after = get(ca_path);
  EXPECT_EQ(ca_after["data"], ca_before["data"]) << "the same CA, key and bundle";
  EXPECT_EQ(ca_after.value("type", ""), ca_before.value("type", ""));
  EXPECT_TRUE(eventually([&] {
    for (const auto& e : get("/api/v1/namespaces/default/events").value("items", json::array()))
      if (e.value("reason", "") == "CARestored" && e.value("type", "") == "Warning") return true;
    return false;
  }));
  // A new CA would re-issue every leaf within a second or two of its creation.
  EXPECT_FALSE(eventually([&] { return serials() != before; }, std::chrono::seconds(3)))
      << "a certificate was re-issued";
}

TEST_F(SecureServiceE2E, ARestartReissuesNothing) {
  ASSERT_TRUE(start_with_the_examples_ready()) << describe_not_ready();
  const auto before = serials();
  const std::string ca_before = decode(get("/api/v1/namespaces/default/secrets/secureservice-operator-ca"), "tls.crt");
  stop_operator();

  start_operator();
  // The new process has been through every service's identity once it exports each one's
  // expiry (set only after the Secret was checked against the loaded CA).
  std::string metrics;
  ASSERT_TRUE(eventually(
      [&] {
        if (http_code(port_ + 1, "/metrics", &metrics) != 200) return false;
        size_t series = 0;
        for (size_t at = 0;
             (at = metrics.find("\nsecureservice_certificate_expiration_timestamp_seconds{", at)) != std::string::npos;
             ++at)
          ++series;
        return series == kExampleServices.size();
      },
      std::chrono::seconds(30)))
      << metrics;
  EXPECT_EQ(serials(), before);
  EXPECT_EQ(decode(get("/api/v1/namespaces/default/secrets/secureservice-operator-ca"), "tls.crt"), ca_before);
}

TEST_F(SecureServiceE2E, DeletionRemovesWhatItOwnsAndTheLastServiceTakesTheBundle) {
  start_operator();
  kubectl_ok({"apply", "-f", std::string(SSO_EXAMPLES_DIR) + "/shop.yaml"});
  ASSERT_TRUE(
      eventually([&] { return condition(service("front", "frontend"), "Ready") == "True"; }, std::chrono::seconds(30)))
      << describe_not_ready();
  ASSERT_TRUE(secret("front", "frontend-tls").is_object());
  const std::string bundle = "/api/v1/namespaces/front/configmaps/secureservice-trust-bundle";
  ASSERT_TRUE(get(bundle).is_object());

  kubectl_ok({"delete", "-n", "front", "secureservice", "frontend"});
  EXPECT_TRUE(eventually([&] {
    return !secret("front", "frontend-tls").is_object() &&
           !get("/apis/networking.k8s.io/v1/namespaces/front/networkpolicies/frontend").is_object() &&
           !get(bundle).is_object() && !service("front", "frontend").is_object();
  }));
  // In shop, others remain: deleting one keeps the shared bundle.
  kubectl_ok({"delete", "-n", "shop", "secureservice", "payments"});
  EXPECT_TRUE(eventually([&] { return !secret("shop", "payments-tls").is_object(); }));
  EXPECT_TRUE(get("/api/v1/namespaces/shop/configmaps/secureservice-trust-bundle").is_object());
}

TEST_F(SecureServiceE2E, ABadServiceIsReportedWhileTheOthersKeepWorking) {
  start_operator();
  kubectl_ok({"apply", "-f", std::string(SSO_EXAMPLES_DIR) + "/shop.yaml"});
  const std::string orphan = R"({"apiVersion": "secureservice.io/v1alpha1", "kind": "SecureService",
    "metadata": {"name": "reports", "namespace": "shop"},
    "spec": {"selector": {"matchLabels": {"app": "reports"}}, "ports": [{"port": 8443}],
             "allowedClients": [{"secureService": "no-such-service"}]}})";
  auto created = api_->post("/apis/secureservice.io/v1alpha1/namespaces/shop/secureservices", json::parse(orphan));
  ASSERT_EQ(created.code, 201) << created.body.dump();
  // Its identity is issued all the same; only the missing client holds Ready back.
  EXPECT_TRUE(eventually(
      [&] {
        const json reports = service("shop", "reports");
        return condition(reports, "CertificateReady") == "True" &&
               condition(reports, "NetworkPolicyReady", "reason") == "ClientNotFound";
      },
      std::chrono::seconds(30)))
      << describe_not_ready();
  EXPECT_THAT(condition(service("shop", "reports"), "Ready", "message"), HasSubstr("shop/no-such-service"));
  EXPECT_TRUE(eventually([&] {
    const json events = get("/api/v1/namespaces/shop/events");
    for (const auto& e : events.value("items", json::array()))
      if (e.value("reason", "") == "ClientNotFound" && e["involvedObject"].value("name", "") == "reports") return true;
    return false;
  }));
  EXPECT_TRUE(eventually([&] { return condition(service("front", "frontend"), "Ready") == "True"; }));
  EXPECT_TRUE(eventually([&] { return condition(service("shop", "checkout"), "CertificateReady") == "True"; }));
}

// A spec the installed CRD lets through but the operator refuses (an older CRD left in place
// by an upgrade, here one without its CEL rules): Ready turns False with the field, and the
// metric the "not Ready" alert watches says so too, rather than keeping the last Ready.
TEST_F(SecureServiceE2E, AnInvalidSpecTheCrdLetsThroughTurnsReadyFalseInStatusEventsAndMetrics) {
  std::ifstream crd_file(std::string(SSO_CRDS_DIR) + "/secureservice.io_secureservices.yaml");
  auto crd = kube::read_manifests(std::string(std::istreambuf_iterator<char>(crd_file), {}), "crd");
  ASSERT_TRUE(crd.ok() && crd->size() == 1);
  json without_cel = crd->front();
  std::function<void(json&)> strip = [&](json& node) {
    if (node.is_object()) {
      node.erase("x-kubernetes-validations");
      for (auto& [key, child] : node.items()) strip(child);
    } else if (node.is_array()) {
      for (auto& child : node) strip(child);
    }
  };
  strip(without_cel);
  kubectl_ok({"apply", "-f", dir_.write("crd-without-cel.json", without_cel.dump())});
  start_operator();
  json reports = json::parse(R"({"apiVersion": "secureservice.io/v1alpha1", "kind": "SecureService",
    "metadata": {"name": "reports", "namespace": "shop"},
    "spec": {"selector": {"matchLabels": {"app": "reports"}}, "ports": [{"port": 8443}]}})");
  ASSERT_EQ(api_->post("/apis/secureservice.io/v1alpha1/namespaces/shop/secureservices", reports).code, 201);
  ASSERT_TRUE(
      eventually([&] { return condition(service("shop", "reports"), "Ready") == "True"; }, std::chrono::seconds(30)))
      << describe_not_ready();
  const std::string ready_true =
      "secureservice_certificate_ready_status{condition=\"True\",name=\"reports\",namespace=\"shop\"} 1";
  const std::string ready_false =
      "secureservice_certificate_ready_status{condition=\"False\",name=\"reports\",namespace=\"shop\"} 1";
  std::string metrics;
  ASSERT_TRUE(eventually([&] {
    return http_code(port_ + 1, "/metrics", &metrics) == 200 && metrics.find(ready_true) != std::string::npos;
  }));

  // A merge patch: a PUT of what was read would be a 409 if the operator wrote the status meanwhile.
  auto updated =
      api_->patch("/apis/secureservice.io/v1alpha1/namespaces/shop/secureservices/reports",
                  R"({"spec": {"tls": {"duration": "24h", "renewBefore": "48h"}}})", "application/merge-patch+json");
  ASSERT_EQ(updated.code, 200) << updated.body.dump();
  EXPECT_TRUE(eventually([&] { return condition(service("shop", "reports"), "Ready", "reason") == "InvalidSpec"; }))
      << describe_not_ready();
  EXPECT_EQ(condition(service("shop", "reports"), "Ready"), "False");
  EXPECT_THAT(condition(service("shop", "reports"), "Ready", "message"), HasSubstr("renewBefore"));
  EXPECT_TRUE(eventually([&] {
    return http_code(port_ + 1, "/metrics", &metrics) == 200 && metrics.find(ready_false) != std::string::npos &&
           metrics.find(ready_true) == std::string::npos;
  })) << "the ready metric still says Ready";
}

TEST_F(SecureServiceE2E, KubectlGetShowsReadyModeExpiresAndAge) {
  start_operator();
  kubectl_ok({"apply", "-f", std::string(SSO_EXAMPLES_DIR) + "/catalog-server-only.yaml"});
  ASSERT_TRUE(
      eventually([&] { return condition(service("shop", "catalog"), "Ready") == "True"; }, std::chrono::seconds(30)))
      << describe_not_ready();
  const std::string table = kubectl_ok({"get", "ssvc", "-n", "shop"});
  EXPECT_THAT(table, ::testing::MatchesRegex(
                         "NAME +READY +MODE +EXPIRES +AGE\ncatalog +True +Server +20[0-9-]+T[0-9:]+Z +[0-9]+s\n"));
}

// What the CRD's schema and CEL rules refuse, kubectl shows with the field and the reason.
TEST_F(SecureServiceE2E, TheCrdRefusesBadSecureServicesWithTheirField) {
  struct Bad {
    const char* spec;
    const char* message;
  };
  const Bad cases[] = {
      {R"({"selector": {}, "ports": [{"port": 1}]})", "selector must not be empty"},
      {R"({"selector": {"matchLabels": {"a": "b"}}, "ports": [{"port": 1}],
          "tls": {"duration": "24h", "renewBefore": "24h"}})",
       "spec.tls.renewBefore"},
      {R"({"selector": {"matchLabels": {"a": "b"}}, "ports": [{"port": 1}],
          "tls": {"privateKey": {"algorithm": "DSA"}}})",
       "spec.tls.privateKey.algorithm: Unsupported value: \"DSA\""},
      {R"({"selector": {"matchLabels": {"a": "b"}}, "ports": []})", "spec.ports"},
      {R"({"selector": {"matchLabels": {"a": "b"}}, "ports": [{"port": 1}],
          "allowedClients": [{"secureService": "x", "podSelector": {}}]})",
       "set exactly one of secureService"},
  };
  for (const auto& c : cases) {
    json object = {{"apiVersion", "secureservice.io/v1alpha1"},
                   {"kind", "SecureService"},
                   {"metadata", {{"name", "bad"}, {"namespace", "shop"}}},
                   {"spec", json::parse(c.spec)}};
    const std::string file = dir_.write("bad.json", object.dump());
    auto r = run_process({SSO_KUBECTL_BIN, "--kubeconfig", kubeconfig_, "apply", "-f", file});
    EXPECT_NE(r.exit_code, 0) << c.spec;
    EXPECT_THAT(r.err, HasSubstr(c.message)) << c.spec;
    // The operator's own parser refuses the same object.
    EXPECT_FALSE(api::parse_secure_service(object).ok()) << c.spec;
  }
}

// The defaults the API server fills in from the CRD are the operator's defaults: render,
// which has no server, must read an object as the operator reads the stored one.
TEST_F(SecureServiceE2E, TheCrdDefaultsAreTheOperatorsDefaults) {
  const json minimal = {
      {"apiVersion", "secureservice.io/v1alpha1"},
      {"kind", "SecureService"},
      {"metadata", {{"name", "minimal"}, {"namespace", "shop"}}},
      {"spec", {{"selector", {{"matchLabels", {{"app", "minimal"}}}}}, {"ports", {{{"port", 8443}}}}}}};
  auto created = api_->post("/apis/secureservice.io/v1alpha1/namespaces/shop/secureservices", minimal);
  ASSERT_EQ(created.code, 201) << created.body.dump();
  EXPECT_EQ(created.body["spec"]["tls"]["mode"], "Mutual");  // the server did default it
  auto from_server = api::parse_secure_service(created.body);
  auto as_written = api::parse_secure_service(minimal);
  ASSERT_TRUE(from_server.ok() && as_written.ok());
  EXPECT_EQ(from_server->tls, as_written->tls);
  EXPECT_EQ(from_server->ports, as_written->ports);
  EXPECT_EQ(from_server->network_policy_enabled, as_written->network_policy_enabled);
  EXPECT_EQ(from_server->restrict_egress, as_written->restrict_egress);
  EXPECT_EQ(from_server->allow_dns, as_written->allow_dns);
  EXPECT_EQ(from_server->mesh, as_written->mesh);
  EXPECT_EQ(from_server->mtls_mode, as_written->mtls_mode);
  EXPECT_EQ(from_server->admission_mode, as_written->admission_mode);
  EXPECT_EQ(from_server->service_account_name, as_written->service_account_name);
}

// A client's selector is part of every policy that allows it: changing it updates them
// (found through the client index, not a scan).
TEST_F(SecureServiceE2E, AClientsNewSelectorReachesThePoliciesThatAllowIt) {
  install_meshes();
  start_operator();
  kubectl_ok({"apply", "-f", std::string(SSO_EXAMPLES_DIR) + "/shop.yaml"});
  ASSERT_TRUE(all_ready_of({{"shop", "payments"}, {"shop", "checkout"}})) << describe_not_ready();
  const std::string np = "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/payments";
  EXPECT_EQ(get(np)["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"]["app"], "checkout");

  kubectl_ok(
      {"patch", "-n", "shop", "secureservice", "checkout", "--type=merge", "-p",
       R"({"spec": {"selector": {"matchLabels": {"app": "checkout-v2"}}, "serviceAccountName": "checkout-v2"}})"});
  EXPECT_TRUE(eventually(
      [&] { return get(np)["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"]["app"] == "checkout-v2"; }));
  const std::string authz = "/apis/security.istio.io/v1/namespaces/shop/authorizationpolicies/payments";
  EXPECT_TRUE(eventually([&] {
    return get(authz)["spec"]["rules"][0]["from"][0]["source"]["principals"][0] ==
           "cluster.local/ns/shop/sa/checkout-v2";
  })) << get(authz).dump();
}

TEST_F(SecureServiceE2E, IssuanceIsRecordedInEventsAndMetricsThatPromtoolAccepts) {
  start_operator();
  kubectl_ok({"apply", "-f", std::string(SSO_EXAMPLES_DIR) + "/shop.yaml"});
  ASSERT_TRUE(
      eventually([&] { return condition(service("front", "frontend"), "Ready") == "True"; }, std::chrono::seconds(30)))
      << describe_not_ready();
  EXPECT_TRUE(eventually([&] {
    for (const auto& e : get("/api/v1/namespaces/front/events").value("items", json::array()))
      if (e.value("reason", "") == "Issued" && e["involvedObject"].value("name", "") == "frontend" &&
          e.value("message", "").find("MissingData") != std::string::npos)
        return true;
    return false;
  }));
  const std::vector<std::string> series = {
      "secureservice_certificate_expiration_timestamp_seconds{name=\"frontend\",namespace=\"front\"}",
      "secureservice_certificate_renewal_timestamp_seconds{name=\"frontend\",namespace=\"front\"}",
      "secureservice_certificate_ready_status{condition=\"True\",name=\"frontend\",namespace=\"front\"} 1",
      "secureservice_certificates_issued_total{algorithm=\"ECDSA\",reason=\"MissingData\"} 3",
      "secureservice_ca_expiration_timestamp_seconds{secret=\"default/secureservice-operator-ca\"}",
      "secureservice_managed_objects{kind=\"NetworkPolicy\"} 3",
      "secureservice_managed_objects{kind=\"Secret\"} 3"};
  std::string metrics;
  EXPECT_TRUE(eventually([&] {
    if (http_code(port_ + 1, "/metrics", &metrics) != 200) return false;
    for (const auto& s : series)
      if (metrics.find(s) == std::string::npos) return false;
    return true;
  })) <<
      [&] {
        std::string ours;  // only the operator's own series, not the whole exposition
        for (size_t at = 0; (at = metrics.find("\nsecureservice_", at)) != std::string::npos; ++at)
          ours += metrics.substr(at + 1, metrics.find('\n', at + 1) - at);
        return ours;
      }();
  auto promtool = run_process({SSO_PROMTOOL_BIN, "check", "metrics"}, metrics);
  EXPECT_EQ(promtool.exit_code, 0) << promtool.out << promtool.err;
}

// The CRD as kube-apiserver's CRD validation sees it, and the examples against the CRD.
TEST(SecureServiceManifests, TheCrdAndTheExamplesPassValidateManifests) {
  auto r = run_process({SSO_VALIDATE_MANIFESTS, "--crds", SSO_CRDS_DIR, SSO_CRDS_DIR, SSO_EXAMPLES_DIR});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(" 0 invalid"));
}

// A flow mapping with an unquoted comma ({description: a, b}) silently turns the rest of the
// text into a key without a value: a field kube-apiserver's strict decoding refuses, and that
// made `kubectl apply --server-side` conflict with an earlier client-side apply.
TEST(SecureServiceManifests, TheCrdSchemaHasNoKeyWithoutAValue) {
  std::ifstream in(std::string(SSO_CRDS_DIR) + "/secureservice.io_secureservices.yaml");
  auto crd = kube::read_manifests(std::string(std::istreambuf_iterator<char>(in), {}), "crd");
  ASSERT_TRUE(crd.ok()) << crd.error().describe();
  std::vector<std::string> empty;
  std::function<void(const json&, const std::string&)> walk = [&](const json& node, const std::string& path) {
    if (node.is_null()) empty.push_back(path);
    if (node.is_object())
      for (const auto& [key, child] : node.items()) walk(child, path + "/" + key);
    if (node.is_array())
      for (size_t i = 0; i < node.size(); ++i) walk(node[i], path + "[" + std::to_string(i) + "]");
  };
  for (const auto& object : *crd) walk(object, "");
  EXPECT_THAT(empty, ::testing::IsEmpty());
}

// --namespace: only the named namespaces are watched and reconciled.
TEST_F(SecureServiceE2E, WatchesOnlyTheNamespacesItIsGiven) {
  install_meshes();
  start_operator({"--namespace", "shop"});
  kubectl_ok({"apply", "-f", std::string(SSO_EXAMPLES_DIR) + "/shop.yaml"});
  ASSERT_TRUE(all_ready_of({{"shop", "payments"}})) << describe_not_ready();
  EXPECT_TRUE(secret("shop", "payments-tls").is_object());
  EXPECT_FALSE(secret("front", "frontend-tls").is_object());
  EXPECT_FALSE(service("front", "frontend").contains("status"));
  // checkout's client lives in a namespace this operator does not watch: it says so.
  EXPECT_TRUE(eventually([&] {
    return condition(service("shop", "checkout"), "NetworkPolicyReady", "message")
               .find("namespace front is not among those the operator watches") != std::string::npos;
  })) << describe_not_ready();
}

// Bring your own CA (spec.issuer.caSecretRef), and a PKCS#12 keystore for a Java service.
// Without the webhook (not installed here, or failing open), the controller itself refuses to
// sign with another namespace's CA: a readable Secret elsewhere is not an invitation.
TEST_F(SecureServiceE2E, NeverSignsWithACaFromAnotherNamespace) {
  start_operator();
  auto ca = run_process({SSO_OPERATOR_BIN, "ca", "create", "-n", "front", "--name", "front-ca"});
  ASSERT_EQ(ca.exit_code, 0) << ca.err;
  kubectl_ok({"apply", "-f", dir_.write("front-ca.yaml", ca.out)});
  const json intruder = json::parse(R"({
    "apiVersion": "secureservice.io/v1alpha1", "kind": "SecureService",
    "metadata": {"name": "intruder", "namespace": "shop"},
    "spec": {"selector": {"matchLabels": {"app": "intruder"}}, "ports": [{"port": 8443}],
             "issuer": {"caSecretRef": {"namespace": "front", "name": "front-ca"}}}})");
  ASSERT_EQ(api_->post("/apis/secureservice.io/v1alpha1/namespaces/shop/secureservices", intruder).code, 201);
  ASSERT_TRUE(eventually([&] {
    return condition(service("shop", "intruder"), "CertificateReady", "reason") == "CrossNamespaceCA";
  })) << describe_not_ready();
  EXPECT_EQ(condition(service("shop", "intruder"), "Ready"), "False");
  EXPECT_THAT(condition(service("shop", "intruder"), "CertificateReady", "message"),
              HasSubstr("copy the CA Secret into namespace shop"));
  EXPECT_TRUE(secret("shop", "intruder-tls").is_null()) << "no identity was issued from front's CA";
}

TEST_F(SecureServiceE2E, SignsWithTheUsersCaAndWritesAKeystore) {
  start_operator();
  const std::string ca_yaml = dir_.file("my-ca.yaml");
  auto ca = run_process({SSO_OPERATOR_BIN, "ca", "create", "-n", "shop", "--name", "my-ca"});
  ASSERT_EQ(ca.exit_code, 0) << ca.err;
  dir_.write("my-ca.yaml", ca.out);
  kubectl_ok({"apply", "-f", ca_yaml});
  kubectl_ok({"create", "secret", "generic", "p12-password", "-n", "shop", "--from-literal=password=changeit"});
  const json ledger = json::parse(R"({
    "apiVersion": "secureservice.io/v1alpha1", "kind": "SecureService",
    "metadata": {"name": "ledger", "namespace": "shop"},
    "spec": {"selector": {"matchLabels": {"app": "ledger"}}, "ports": [{"port": 8443}],
             "issuer": {"caSecretRef": {"name": "my-ca"}},
             "tls": {"keystores": {"pkcs12": {"enabled": true,
                                              "passwordSecretRef": {"name": "p12-password", "key": "password"}}}}}})");
  ASSERT_EQ(api_->post("/apis/secureservice.io/v1alpha1/namespaces/shop/secureservices", ledger).code, 201);
  ASSERT_TRUE(all_ready_of({{"shop", "ledger"}})) << describe_not_ready();

  const json sec = secret("shop", "ledger-tls");
  const json ca_secret = secret("shop", "my-ca");
  const std::string ca_file = dir_.write("my-ca.crt", decode(ca_secret, "tls.crt"));
  const std::string crt = dir_.write("ledger.crt", decode(sec, "tls.crt"));
  auto verify = run_process({SSO_OPENSSL_BIN, "verify", "-CAfile", ca_file, crt});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(decode(sec, "ca.crt"), decode(ca_secret, "tls.crt"));
  // The keystore opens with the password and holds the same certificate.
  const std::string p12 = dir_.write("keystore.p12", decode(sec, "keystore.p12"));
  auto opened = run_process({SSO_OPENSSL_BIN, "pkcs12", "-in", p12, "-passin", "pass:changeit", "-nokeys", "-clcerts"});
  ASSERT_EQ(opened.exit_code, 0) << opened.err;
  auto fingerprint = [&](const std::string& pem) {
    return run_process({SSO_OPENSSL_BIN, "x509", "-noout", "-fingerprint", "-sha256"}, pem).out;
  };
  EXPECT_EQ(fingerprint(opened.out), fingerprint(decode(sec, "tls.crt")));
  auto wrong = run_process({SSO_OPENSSL_BIN, "pkcs12", "-in", p12, "-passin", "pass:wrong", "-nokeys"});
  EXPECT_NE(wrong.exit_code, 0);

  // A new password re-encodes the keystore (the password Secret is read, not watched: the next
  // reconcile sees it; an edit of the SecureService brings one at once).
  auto changed =
      api_->patch("/api/v1/namespaces/shop/secrets/p12-password",
                  R"({"data": {"password": ")" + base64_encode("n3w-pass") + R"("}})", "application/merge-patch+json");
  ASSERT_EQ(changed.code, 200) << changed.body.dump();
  kubectl_ok({"annotate", "-n", "shop", "secureservice", "ledger", "example.com/touch=1"});
  EXPECT_TRUE(eventually([&] {
    const std::string again = dir_.write("keystore2.p12", decode(secret("shop", "ledger-tls"), "keystore.p12"));
    return run_process({SSO_OPENSSL_BIN, "pkcs12", "-in", again, "-passin", "pass:n3w-pass", "-nokeys"}).exit_code == 0;
  }));

  // A CA Secret that does not exist is a condition that says so, not a crash loop.
  kubectl_ok({"patch", "-n", "shop", "secureservice", "ledger", "--type=merge", "-p",
              R"({"spec": {"issuer": {"caSecretRef": {"name": "no-such-ca"}}}})"});
  EXPECT_TRUE(eventually([&] {
    return condition(service("shop", "ledger"), "CertificateReady", "reason") == "IssuerNotReady";
  })) << describe_not_ready();
  EXPECT_THAT(condition(service("shop", "ledger"), "CertificateReady", "message"),
              HasSubstr("shop/no-such-ca does not exist"));
}

}  // namespace
}  // namespace sso::testing
