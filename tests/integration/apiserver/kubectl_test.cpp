// The API test server driven by real kubectl: a client nobody here wrote.
#include <gmock/gmock.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "process.hpp"
#include "test_server_fixture.hpp"

namespace sso::testing {
namespace {

using ::testing::HasSubstr;

class Kubectl : public ApiServerTest {
 protected:
  void SetUp() override {
    ApiServerTest::SetUp();
    kubeconfig_ = dir_.file("kubeconfig");
    server_->admin_kubeconfig(kubeconfig_);
  }
  ProcessResult kubectl(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {SSO_KUBECTL_BIN, "--kubeconfig", kubeconfig_});
    return run_process(args, input);
  }
  // A CRD serving example.com/v1 PLURAL with a schema, a CEL rule and printer columns.
  static nlohmann::json printed_crd(const std::string& plural, const std::string& kind);
  TempDir dir_;
  std::string kubeconfig_;
};

TEST_F(Kubectl, CreateGetApplyDelete) {
  const std::string manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: " + ns() +
                               "\n  labels: {app: payments}\ndata:\n  mode: strict\n";
  auto created = kubectl({"create", "-f", "-"}, manifest);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_THAT(created.out, HasSubstr("configmap/settings created"));

  auto got = kubectl({"get", "configmap", "settings", "-n", ns(), "-o", "json"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  const auto object = nlohmann::json::parse(got.out);
  EXPECT_EQ(object["data"]["mode"], "strict");
  EXPECT_FALSE(object["metadata"].value("uid", "").empty());

  auto listed = kubectl({"get", "configmaps", "-n", ns(), "-l", "app=payments", "-o", "name"});
  EXPECT_EQ(listed.out, "configmap/settings\n");

  std::string changed = manifest;
  changed.replace(changed.find("strict"), 6, "audit");
  // The field belongs to kubectl-create: server-side apply refuses to take it silently.
  auto conflicting = kubectl({"apply", "--server-side", "-f", "-"}, changed);
  EXPECT_NE(conflicting.exit_code, 0);
  EXPECT_THAT(conflicting.err, HasSubstr("conflict with \"kubectl-create\""));
  EXPECT_THAT(conflicting.err, HasSubstr(".data.mode"));
  auto applied = kubectl({"apply", "--server-side", "--force-conflicts", "-f", "-"}, changed);
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_EQ(api().get(ns_path("configmaps/settings")).body["data"]["mode"], "audit");

  auto deleted = kubectl({"delete", "configmap", "settings", "-n", ns()});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(api().get(ns_path("configmaps/settings")).code, 404);
  auto missing = kubectl({"get", "configmap", "settings", "-n", ns()});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("NotFound"));
}

TEST_F(Kubectl, ApplyServerSideCreatesWhatIsMissing) {
  const std::string manifest =
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: " + ns() + "\nstringData:\n  user: admin\n";
  auto applied = kubectl({"apply", "--server-side", "-f", "-"}, manifest);
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_EQ(api().get(ns_path("secrets/creds")).code, 200);
}

// Typed clients (kubectl create namespace|secret|configmap|serviceaccount) send protobuf.
TEST_F(Kubectl, ImperativeCreatesSendProtobuf) {
  const std::string space = ns() + "-extra";
  ASSERT_EQ(kubectl({"create", "namespace", space}).exit_code, 0);
  auto secret = kubectl({"create", "secret", "generic", "creds", "-n", space, "--from-literal=user=admin"});
  ASSERT_EQ(secret.exit_code, 0) << secret.err;
  auto tls = kubectl({"create", "secret", "tls", "serving", "-n", space, "--cert",
                      std::string(SSO_TEST_CERTS_DIR) + "/openssl-leaf.crt", "--key",
                      std::string(SSO_TEST_CERTS_DIR) + "/openssl-leaf.key"});
  ASSERT_EQ(tls.exit_code, 0) << tls.err;
  ASSERT_EQ(kubectl({"create", "configmap", "cfg", "-n", space, "--from-literal=a=1"}).exit_code, 0);
  ASSERT_EQ(kubectl({"create", "serviceaccount", "robot", "-n", space}).exit_code, 0);

  auto got = api().get("/api/v1/namespaces/" + space + "/secrets/creds");
  ASSERT_EQ(got.code, 200);
  EXPECT_EQ(got.body["data"]["user"], "YWRtaW4=");
  EXPECT_EQ(got.body["type"], "Opaque");
  EXPECT_FALSE(got.body["metadata"].contains("generateName")) << "empty protobuf fields are not fields";
  auto serving = api().get("/api/v1/namespaces/" + space + "/secrets/serving");
  EXPECT_EQ(serving.body["type"], "kubernetes.io/tls");
  EXPECT_TRUE(serving.body["data"].contains("tls.key"));
  EXPECT_EQ(api().get("/api/v1/namespaces/" + space + "/configmaps/cfg").body["data"]["a"], "1");
  EXPECT_EQ(api().get("/api/v1/namespaces/" + space + "/serviceaccounts/robot").code, 200);
  EXPECT_EQ(api().get("/api/v1/namespaces/" + space).body["status"]["phase"], "Active");
}

TEST_F(Kubectl, ServiceAccountKubeconfigsAuthenticateAndBadTokensDoNot) {
  const std::string sa_config = dir_.file("sa-kubeconfig");
  server_->service_account_kubeconfig(ns(), "operator", sa_config);
  // Authenticated, but RBAC grants a service account nothing until it is bound.
  auto forbidden = run_process({SSO_KUBECTL_BIN, "--kubeconfig", sa_config, "get", "configmaps", "-n", ns()});
  EXPECT_NE(forbidden.exit_code, 0);
  EXPECT_THAT(forbidden.err, HasSubstr("Error from server (Forbidden): configmaps is forbidden: User "
                                       "\"system:serviceaccount:" +
                                       ns() + ":operator\" cannot list resource \"configmaps\""));
  ASSERT_EQ(kubectl({"create", "role", "cm-reader", "-n", ns(), "--verb=list", "--resource=configmaps"}).exit_code, 0);
  ASSERT_EQ(kubectl({"create", "rolebinding", "cm-reader", "-n", ns(), "--role=cm-reader",
                     "--serviceaccount=" + ns() + ":operator"})
                .exit_code,
            0);
  auto read = run_process({SSO_KUBECTL_BIN, "--kubeconfig", sa_config, "get", "configmaps", "-n", ns()});
  EXPECT_EQ(read.exit_code, 0) << read.err;
  const std::string bad_config = dir_.write("bad-kubeconfig", [&] {
    std::string text = server_->admin_kubeconfig();
    text.replace(text.find("token: ") + 7, 8, "00000000");
    return text;
  }());
  auto refused = run_process({SSO_KUBECTL_BIN, "--kubeconfig", bad_config, "get", "configmaps", "-n", ns()});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("Unauthorized"));
}

// helm's release records are Secrets written by a typed client (protobuf), listed by label.
TEST_F(Kubectl, HelmInstallsUpgradesAndUninstalls) {
  const std::string chart = dir_.file("chart");
  ASSERT_EQ(run_process({"mkdir", "-p", chart + "/templates"}).exit_code, 0);
  dir_.write("chart/Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n");
  dir_.write("chart/templates/cm.yaml",
             "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cfg\ndata:\n  mode: "
             "{{ .Values.mode | default \"strict\" | quote }}\n");
  auto helm = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {SSO_HELM_BIN, "--kubeconfig", kubeconfig_, "-n", ns()});
    return run_process(args);
  };
  auto installed = helm({"install", "demo", chart});
  ASSERT_EQ(installed.exit_code, 0) << installed.err;
  EXPECT_EQ(api().get(ns_path("configmaps/demo-cfg")).body["data"]["mode"], "strict");
  auto upgraded = helm({"upgrade", "demo", chart, "--set", "mode=audit"});
  ASSERT_EQ(upgraded.exit_code, 0) << upgraded.err;
  EXPECT_EQ(api().get(ns_path("configmaps/demo-cfg")).body["data"]["mode"], "audit");
  auto releases = api().get(ns_path("secrets") + "?labelSelector=owner%3Dhelm");
  EXPECT_EQ(releases.body["items"].size(), 2u) << "one release Secret per revision";
  auto uninstalled = helm({"uninstall", "demo"});
  ASSERT_EQ(uninstalled.exit_code, 0) << uninstalled.err;
  EXPECT_EQ(api().get(ns_path("configmaps/demo-cfg")).code, 404);
  EXPECT_TRUE(api().get(ns_path("secrets") + "?labelSelector=owner%3Dhelm").body["items"].empty());
}

TEST_F(Kubectl, GetWatchSeesChanges) {
  // kubectl get --watch prints the current state, then each change, until it is stopped.
  const std::string path = ns_path("configmaps");
  ASSERT_EQ(api().post(path, config_map("first")).code, 201);
  std::thread writer([&] {
    ASSERT_TRUE(eventually([&] { return server_->api().store().open_watches() > 0; }));
    api().post(path, config_map("second"));
    api().del(path + "/first");
  });
  auto watched = kubectl(
      {"get", "configmaps", "-n", ns(), "--watch", "--output-watch-events", "-o", "json", "--request-timeout", "3s"});
  writer.join();
  // kubectl prints one JSON event after another: {"type": ..., "object": ...}.
  std::vector<std::string> seen;
  std::istringstream stream(watched.out);
  while (stream >> std::ws && !stream.eof()) {
    nlohmann::json event;
    stream >> event;
    seen.push_back(event["type"].get<std::string>() + " " + event["object"]["metadata"]["name"].get<std::string>());
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("ADDED first", "ADDED second", "DELETED first")) << watched.err;
}

nlohmann::json Kubectl::printed_crd(const std::string& plural, const std::string& kind) {
  auto c = crd("example.com", plural, kind, "Namespaced");
  auto& version = c["spec"]["versions"][0];
  version["schema"]["openAPIV3Schema"] = nlohmann::json::parse(R"js({
    "type": "object",
    "properties": {
      "spec": {"type": "object", "properties": {
        "mode": {"type": "string", "enum": ["Strict", "Permissive"], "default": "Strict"},
        "duration": {"type": "string"}},
        "x-kubernetes-validations": [{"rule": "!has(self.duration) || duration(self.duration) >= duration('1h')",
                                      "message": "duration must be at least 1h"}]},
      "status": {"type": "object", "properties": {"conditions": {"type": "array", "items": {
        "type": "object", "properties": {"type": {"type": "string"}, "status": {"type": "string"}}}}}}}})js");
  version["additionalPrinterColumns"] = nlohmann::json::parse(R"js([
    {"name": "Mode", "type": "string", "jsonPath": ".spec.mode"},
    {"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}])js");
  return c;
}

// kubectl get asks for a Table and prints the columns the server chose.
TEST_F(Kubectl, GetPrintsServerSideColumns) {
  auto crd_created =
      api().post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", printed_crd("dials", "Dial"));
  ASSERT_TRUE(crd_created.code == 201 || crd_created.code == 409) << crd_created.body.dump();
  const std::string dials = "/apis/example.com/v1/namespaces/" + ns() + "/dials";
  ASSERT_EQ(api().post(dials, {{"metadata", {{"name", "front"}}}, {"spec", {{"mode", "Permissive"}}}}).code, 201);
  ASSERT_EQ(api().post(dials, {{"metadata", {{"name", "back"}}}, {"spec", nlohmann::json::object()}}).code, 201);
  ASSERT_EQ(
      api().patch(dials + "/front/status", R"({"status": {"conditions": [{"type": "Ready", "status": "True"}]}})").code,
      200);
  auto got = kubectl({"get", "dials", "-n", ns()});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_THAT(got.out, ::testing::MatchesRegex("NAME +MODE +READY +AGE\n"
                                               "back +Strict +[0-9]+s\n"
                                               "front +Permissive +True +[0-9]+s\n"));
  ASSERT_EQ(api().post(ns_path("configmaps"), config_map("settings", {{"a", "1"}, {"b", "2"}})).code, 201);
  auto config_maps = kubectl({"get", "configmaps", "-A"});
  ASSERT_EQ(config_maps.exit_code, 0) << config_maps.err;
  EXPECT_THAT(config_maps.out, ::testing::MatchesRegex("NAMESPACE +NAME +DATA +AGE\n(.*\n)*" + ns() +
                                                       " +settings +2 +[0-9]+s\n(.*\n)*"));
}

// kubectl create and apply send fieldValidation=Strict (kubectl >= 1.27 with --validate=strict,
// the default): an unknown field fails the request; --validate=warn turns it into a warning.
TEST_F(Kubectl, UnknownFieldsAreRefusedUnlessValidationIsRelaxed) {
  auto crd_created =
      api().post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", printed_crd("knobs", "Knob"));
  ASSERT_TRUE(crd_created.code == 201 || crd_created.code == 409) << crd_created.body.dump();
  const std::string manifest = "apiVersion: example.com/v1\nkind: Knob\nmetadata:\n  name: k\n  namespace: " + ns() +
                               "\nspec:\n  mode: Strict\n  colour: red\n";
  auto strict = kubectl({"create", "-f", "-"}, manifest);
  EXPECT_NE(strict.exit_code, 0);
  EXPECT_THAT(strict.err, HasSubstr("strict decoding error: unknown field \"spec.colour\""));
  auto applied = kubectl({"apply", "--server-side", "-f", "-"}, manifest);
  EXPECT_NE(applied.exit_code, 0);
  EXPECT_THAT(applied.err, HasSubstr(".spec.colour: field not declared in schema"));

  auto warned = kubectl({"create", "--validate=warn", "-f", "-"}, manifest);
  ASSERT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_THAT(warned.err, HasSubstr("Warning: unknown field \"spec.colour\""));
  const auto stored = api().get("/apis/example.com/v1/namespaces/" + ns() + "/knobs/k").body;
  EXPECT_FALSE(stored["spec"].contains("colour"));

  auto invalid = kubectl({"apply", "-f", "-"},
                         "apiVersion: example.com/v1\nkind: Knob\nmetadata:\n  name: j\n  namespace: " + ns() +
                             "\nspec:\n  mode: Loose\n  duration: 30m\n");
  EXPECT_NE(invalid.exit_code, 0);
  EXPECT_THAT(invalid.err,
              HasSubstr("spec.mode: Unsupported value: \"Loose\": supported values: \"Strict\", \"Permissive\""));
  EXPECT_THAT(invalid.err, HasSubstr("spec: Invalid value: \"object\": duration must be at least 1h"));
}

// Whitespace runs as one space: kubectl explain wraps descriptions at 76 columns.
std::string squeezed(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  return out;
}

// kubectl explain reads the CRD's schema from OpenAPI v3, as from kube-apiserver.
TEST_F(Kubectl, ExplainPrintsTheCrdsFieldDescriptions) {
  auto installed = kubectl({"apply", "-f", std::string(SSO_CRDS_DIR) + "/secureservice.io_secureservices.yaml"});
  ASSERT_EQ(installed.exit_code, 0) << installed.err;

  auto kind = kubectl({"explain", "secureservices"});
  ASSERT_EQ(kind.exit_code, 0) << kind.err;
  EXPECT_THAT(kind.out, HasSubstr("GROUP:      secureservice.io\nKIND:       SecureService\nVERSION:    v1alpha1\n"));
  EXPECT_THAT(squeezed(kind.out), HasSubstr("SecureService makes one workload's traffic encrypted"));
  EXPECT_THAT(kind.out, ::testing::ContainsRegex("metadata\t<ObjectMeta>"));
  EXPECT_THAT(kind.out, ::testing::ContainsRegex("spec\t<Object> -required-"));

  auto tls = kubectl({"explain", "secureservices.spec.tls"});
  ASSERT_EQ(tls.exit_code, 0) << tls.err;
  EXPECT_THAT(tls.out, HasSubstr("FIELD: tls <Object>"));
  EXPECT_THAT(squeezed(tls.out),
              HasSubstr("mode <string> enum: Mutual, Server Mutual (default) issues a certificate for serverAuth and "
                        "clientAuth"));
  EXPECT_THAT(squeezed(tls.out), HasSubstr("renewBefore <string> How long before expiry the certificate is renewed."));

  auto spec = kubectl({"explain", "ssvc.spec", "--recursive"});
  ASSERT_EQ(spec.exit_code, 0) << spec.err;
  EXPECT_THAT(spec.out, ::testing::ContainsRegex("\n  allowedClients\t<\\[\\]Object>"));
  auto clients = kubectl({"explain", "ssvc.spec.allowedClients", "--recursive"});
  ASSERT_EQ(clients.exit_code, 0) << clients.err;
  EXPECT_THAT(clients.out, HasSubstr("FIELD: allowedClients <[]Object>"));
  EXPECT_THAT(clients.out, ::testing::ContainsRegex("\n  secureService\t<string>"));

  auto meta = kubectl({"explain", "secureservices.metadata.ownerReferences"});
  ASSERT_EQ(meta.exit_code, 0) << meta.err;
  EXPECT_THAT(meta.out, HasSubstr("FIELD: ownerReferences <[]OwnerReference>"));
  auto missing = kubectl({"explain", "secureservices.spec.colour"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("field \"colour\" does not exist"));
}

// With the CRD's schema published kubectl leaves validation to the server (the PATCH operation
// lists fieldValidation) and patches with a merge patch (no strategic merge patch listed).
TEST_F(Kubectl, ExamplesApplyAndReapplyWithTheSchemaPublished) {
  auto installed = kubectl({"apply", "-f", std::string(SSO_CRDS_DIR) + "/secureservice.io_secureservices.yaml"});
  ASSERT_EQ(installed.exit_code, 0) << installed.err;
  const std::string examples = SSO_EXAMPLES_DIR;
  // The examples' namespaces first, whichever file declares them.
  for (const char* name : {"front", "shop"}) {
    auto created = api().post("/api/v1/namespaces", {{"metadata", {{"name", name}}}});
    ASSERT_TRUE(created.code == 201 || created.code == 409) << created.body.dump();
  }
  auto applied = kubectl({"apply", "-f", examples});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_THAT(applied.out, HasSubstr("secureservice.secureservice.io/catalog"));
  EXPECT_EQ(api().get("/apis/secureservice.io/v1alpha1/namespaces/shop/secureservices/payments").code, 200);

  std::stringstream catalog;
  catalog << std::ifstream(examples + "/catalog-server-only.yaml").rdbuf();
  std::string enforced = catalog.str();
  ASSERT_NE(enforced.find("mode: Audit"), std::string::npos);
  enforced.replace(enforced.find("mode: Audit"), 11, "mode: Enforce");
  auto reapplied = kubectl({"apply", "-f", "-"}, enforced);
  ASSERT_EQ(reapplied.exit_code, 0) << reapplied.err;
  EXPECT_THAT(reapplied.out, HasSubstr("secureservice.secureservice.io/catalog configured"));
  EXPECT_EQ(api()
                .get("/apis/secureservice.io/v1alpha1/namespaces/shop/secureservices/catalog")
                .body["spec"]["admission"]["mode"],
            "Enforce");

  std::string unknown = enforced;
  unknown.replace(unknown.find("  tls:"), 6, "  colour: red\n  tls:");
  auto refused = kubectl({"apply", "-f", "-"}, unknown);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("unknown field \"spec.colour\""));
}

}  // namespace
}  // namespace sso::testing
