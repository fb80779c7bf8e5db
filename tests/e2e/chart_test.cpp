// The Helm chart as users meet it: real helm renders it, validate-manifests checks what it
// renders as kube-apiserver would, PyYAML turns the output into JSON for the assertions, and
// the operator's own binary parses the Deployment's flags. Nothing here needs a cluster.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "process.hpp"
#include "rendered_objects.hpp"

namespace {

using nlohmann::json;
using ::sso::testing::ProcessResult;
using ::sso::testing::run_process;
using ::sso::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kRelease = "secureservice-operator";
constexpr const char* kNamespace = "secureservice-system";
constexpr const char* kChart = SSO_CHART_DIR;
constexpr const char* kAllOnValues = SSO_CHART_DIR "/ci/all-on-values.yaml";

// PyYAML, as validate-manifests reads YAML: every document, empty ones dropped, as JSON.
constexpr const char* kYamlToJson =
    "import sys, json, yaml\n"
    "print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d is not None]))\n";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<json> parse_yaml(const std::string& yaml) {
  const ProcessResult r = run_process({"python3", "-c", kYamlToJson}, yaml);
  if (r.exit_code != 0) {
    ADD_FAILURE() << "PyYAML could not parse the render: " << r.err;
    return {};
  }
  return json::parse(r.out).get<std::vector<json>>();
}

std::string name_of(const json& o) { return o["metadata"].value("name", ""); }
std::string namespace_of(const json& o) { return o["metadata"].value("namespace", ""); }
std::string id_of(const json& o) { return o.value("kind", "") + " " + namespace_of(o) + "/" + name_of(o); }

using Render = ::sso::testing::RenderedObjects;

Render render(const std::vector<std::string>& args, const std::string& release = kRelease,
              const std::string& ns = kNamespace) {
  std::vector<std::string> argv = {SSO_HELM_BIN, "template", release, kChart, "--namespace", ns};
  argv.insert(argv.end(), args.begin(), args.end());
  const ProcessResult r = run_process(argv);
  Render out{.exit_code = r.exit_code, .yaml = r.out, .err = r.err, .objects = {}};
  if (r.exit_code == 0) out.objects = parse_yaml(r.out);
  return out;
}

// Rendered once per process: most tests read one of these two.
const Render& default_render() {
  static const Render r = render({});
  return r;
}
const Render& all_on_render() {
  static const Render r = render({"-f", kAllOnValues}, "sso");
  return r;
}

const json& operator_container(const json& deployment) {
  return deployment["spec"]["template"]["spec"]["containers"][0];
}

// The container's args as flag -> value ("" for a bare boolean flag), and the command.
std::map<std::string, std::string> flags_of(const json& deployment) {
  std::map<std::string, std::string> flags;
  for (const auto& a : operator_container(deployment)["args"]) {
    const std::string arg = a.get<std::string>();
    if (!arg.starts_with("--")) {
      flags["<command>"] = arg;
      continue;
    }
    const auto eq = arg.find('=');
    flags[arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2)] =
        eq == std::string::npos ? "" : arg.substr(eq + 1);
  }
  return flags;
}

int container_port(const json& deployment, const std::string& name) {
  for (const auto& p : operator_container(deployment).value("ports", json::array()))
    if (p.value("name", "") == name) return p["containerPort"].get<int>();
  return -1;
}

// A label selector (matchLabels and matchExpressions, ANDed) applied to a label set, as
// apimachinery's LabelSelectorAsSelector does.
bool selects(const json& selector, const std::map<std::string, std::string>& labels) {
  const json match_labels = selector.value("matchLabels", json::object());
  for (const auto& [k, v] : match_labels.items()) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v.get<std::string>()) return false;
  }
  const json expressions = selector.value("matchExpressions", json::array());
  for (const auto& e : expressions) {
    const std::string key = e["key"], op = e["operator"];
    std::set<std::string> values;
    for (const auto& v : e.value("values", json::array())) values.insert(v.get<std::string>());
    auto it = labels.find(key);
    const bool present = it != labels.end();
    if (op == "In" && !(present && values.count(it->second))) return false;
    if (op == "NotIn" && present && values.count(it->second)) return false;
    if (op == "Exists" && !present) return false;
    if (op == "DoesNotExist" && present) return false;
  }
  return true;
}

std::map<std::string, std::string> namespace_labels(const std::string& ns) {
  return {{"kubernetes.io/metadata.name", ns}};
}

const json& webhook_named(const json& config, const std::string& name) {
  for (const auto& w : config["webhooks"])
    if (w["name"] == name) return w;
  static const json none = json::object();
  ADD_FAILURE() << "no webhook " << name;
  return none;
}

// RBAC rules flattened to "group/resource[names]" -> verbs, so that two renders compare
// whatever the grouping of resources into rules.
using RuleSet = std::map<std::string, std::set<std::string>>;
RuleSet rules_of(const json& role) {
  RuleSet out;
  for (const auto& rule : role.value("rules", json::array())) {
    std::string names;
    for (const auto& n : rule.value("resourceNames", json::array()))
      names += (names.empty() ? "" : ",") + n.get<std::string>();
    for (const auto& g : rule["apiGroups"])
      for (const auto& r : rule["resources"]) {
        auto& verbs = out[g.get<std::string>() + "/" + r.get<std::string>() + "[" + names + "]"];
        for (const auto& v : rule["verbs"]) verbs.insert(v.get<std::string>());
      }
  }
  return out;
}

std::string schema_error_of(const std::vector<std::string>& args) {
  const Render r = render(args);
  EXPECT_NE(r.exit_code, 0) << "helm template accepted " << ::testing::PrintToString(args);
  return r.err;
}

// ---------------------------------------------------------------------------------------

TEST(Chart, LintPassesStrictWithDefaultsAndEveryOptionOn) {
  const ProcessResult defaults = run_process({SSO_HELM_BIN, "lint", "--strict", kChart});
  EXPECT_EQ(defaults.exit_code, 0) << defaults.out << defaults.err;
  const ProcessResult all_on = run_process({SSO_HELM_BIN, "lint", "--strict", kChart, "-f", kAllOnValues});
  EXPECT_EQ(all_on.exit_code, 0) << all_on.out << all_on.err;
}

TEST(Chart, DefaultRenderWithCrdsPassesValidateManifests) {
  const ProcessResult r =
      run_process({SSO_HELM_BIN, "template", kRelease, kChart, "--namespace", kNamespace, "--include-crds"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const ProcessResult valid = run_process({SSO_VALIDATE_MANIFESTS, "--crds", SSO_CRDS_DIR, "-"}, r.out);
  EXPECT_EQ(valid.exit_code, 0) << valid.out << valid.err;
}

TEST(Chart, EveryOptionOnRenderPassesValidateManifests) {
  const Render& r = all_on_render();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // ci/all-on-values.yaml really switches everything on.
  for (const char* kind : {"ServiceMonitor", "PrometheusRule", "ConfigMap", "PodDisruptionBudget", "NetworkPolicy",
                           "ValidatingWebhookConfiguration", "RoleBinding", "ServiceAccount"})
    EXPECT_TRUE(r.has(kind)) << kind;
  const ProcessResult valid = run_process({SSO_VALIDATE_MANIFESTS, "--crds", SSO_CRDS_DIR, "-"}, r.yaml);
  EXPECT_EQ(valid.exit_code, 0) << valid.out << valid.err;
}

TEST(Chart, WebhookOffRenderPassesValidateManifestsWithoutWebhookObjects) {
  const Render r = render({"--set", "webhook.enabled=false"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(r.has("ValidatingWebhookConfiguration"));
  EXPECT_FALSE(r.has("Service", "secureservice-operator-webhook"));
  EXPECT_FALSE(r.has("ClusterRole", "secureservice-operator-cluster"));
  const auto flags = flags_of(r.one("Deployment"));
  EXPECT_EQ(flags.at("webhook-bind-address"), "0");
  EXPECT_FALSE(flags.count("webhook-service"));
  EXPECT_EQ(container_port(r.one("Deployment"), "webhook"), -1);
  const ProcessResult valid = run_process({SSO_VALIDATE_MANIFESTS, "--crds", SSO_CRDS_DIR, "-"}, r.yaml);
  EXPECT_EQ(valid.exit_code, 0) << valid.out << valid.err;
}

TEST(Chart, EveryObjectCarriesTheStandardLabels) {
  for (const Render* r : {&default_render(), &all_on_render()}) {
    ASSERT_EQ(r->exit_code, 0) << r->err;
    const std::string release = r == &default_render() ? kRelease : "sso";
    for (const auto& o : r->objects) {
      const json labels = o["metadata"].value("labels", json::object());
      EXPECT_EQ(labels.value("app.kubernetes.io/name", ""), "secureservice-operator") << id_of(o);
      EXPECT_EQ(labels.value("app.kubernetes.io/instance", ""), release) << id_of(o);
      EXPECT_EQ(labels.value("app.kubernetes.io/managed-by", ""), "Helm") << id_of(o);
      EXPECT_EQ(labels.value("app.kubernetes.io/part-of", ""), "secureservice-operator") << id_of(o);
      EXPECT_FALSE(labels.value("app.kubernetes.io/version", "").empty()) << id_of(o);
      EXPECT_THAT(labels.value("helm.sh/chart", ""), ::testing::StartsWith("secureservice-operator-")) << id_of(o);
    }
  }
}

TEST(Chart, FullnameIsTheReleaseNameWhenItContainsTheChartName) {
  EXPECT_EQ(name_of(default_render().one("Deployment")), "secureservice-operator");
  EXPECT_EQ(name_of(render({}, "prod-secureservice-operator").one("Deployment")), "prod-secureservice-operator");
  EXPECT_EQ(name_of(render({}, "sso").one("Deployment")), "sso-secureservice-operator");
  EXPECT_EQ(name_of(render({"--set", "fullnameOverride=guard"}, "sso").one("Deployment")), "guard");
}

TEST(Chart, AppVersionAndDefaultImageTagAreTheOperatorsVersion) {
  const std::string cmake = read_file(std::string(SSO_SOURCE_DIR) + "/CMakeLists.txt");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(cmake, m, std::regex(R"(project\(secureservice-operator VERSION ([0-9.]+))")));
  const std::string version = m[1];
  const auto chart = parse_yaml(read_file(std::string(kChart) + "/Chart.yaml"));
  ASSERT_EQ(chart.size(), 1u);
  EXPECT_EQ(chart[0].value("appVersion", ""), version);
  EXPECT_EQ(chart[0].value("version", ""), "0.1.0");
  EXPECT_EQ(operator_container(default_render().one("Deployment"))["image"],
            "ghcr.io/secureservice-operator/secureservice-operator:" + version);
  // A digest pins the image whatever the tag.
  EXPECT_EQ(operator_container(all_on_render().one("Deployment"))["image"],
            "registry.example.com/mirror/secureservice-operator@sha256:"
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
}

// ---------------------------------------------------------------------------------------
// values.schema.json and the template checks: a wrong value fails the render and names the field.

struct WrongValueCase {
  std::vector<std::string> args;
  std::string field;  // what the error must name
};

class WrongValue : public ::testing::TestWithParam<WrongValueCase> {};

TEST_P(WrongValue, FailsTheRenderNamingTheField) {
  const std::string err = schema_error_of(GetParam().args);
  EXPECT_THAT(err, HasSubstr(GetParam().field));
}

INSTANTIATE_TEST_SUITE_P(
    ChartValues, WrongValue,
    ::testing::Values(
        WrongValueCase{{"--set", "replicaCount=-1"}, "replicaCount"},
        WrongValueCase{{"--set-string", "replicaCount=two"}, "replicaCount"},
        WrongValueCase{{"--set", "unknownKey=1"}, "unknownKey"},
        WrongValueCase{{"--set", "webhook.failurepolicy=Fail"}, "failurepolicy"},
        WrongValueCase{{"--set", "image.pullPolicy=Sometimes"}, "image.pullPolicy"},
        WrongValueCase{{"--set", "image.digest=latest"}, "image.digest"},
        WrongValueCase{{"--set", "webhook.failurePolicy=Never"}, "webhook.failurePolicy"},
        WrongValueCase{{"--set", "webhook.timeoutSeconds=0"}, "webhook.timeoutSeconds"},
        WrongValueCase{{"--set", "webhook.timeoutSeconds=31"}, "webhook.timeoutSeconds"},
        WrongValueCase{{"--set", "webhook.excludeNamespaces={Not_A_Namespace}"}, "webhook.excludeNamespaces"},
        WrongValueCase{{"--set", "webhook.namespaceSelectorExpressions[0].key=team", "--set",
                        "webhook.namespaceSelectorExpressions[0].operator=Maybe"},
                       "webhook.namespaceSelectorExpressions"},
        WrongValueCase{{"--set", "webhook.namespaceSelectorExpressions[0].key=team", "--set",
                        "webhook.namespaceSelectorExpressions[0].operator=In"},
                       "webhook.namespaceSelectorExpressions.0: values is required"},
        WrongValueCase{{"--set", "webhook.port=70000"}, "webhook.port"},
        WrongValueCase{{"--set", "metrics.port=0"}, "metrics.port"},
        WrongValueCase{{"--set", "operator.logFormat=xml"}, "operator.logFormat"},
        WrongValueCase{{"--set", "operator.logLevel=trace"}, "operator.logLevel"},
        WrongValueCase{{"--set", "operator.workers=0"}, "operator.workers"},
        WrongValueCase{{"--set", "operator.kubeApiQps=-1"}, "operator.kubeApiQps"},
        WrongValueCase{{"--set", "operator.watchNamespaces={Shop}"}, "operator.watchNamespaces"},
        WrongValueCase{{"--set", "operator.extraArgs={run}"}, "operator.extraArgs"},
        WrongValueCase{{"--set-string", "leaderElection.leaseDuration=15"}, "leaderElection.leaseDuration"},
        WrongValueCase{{"--set", "leaderElection.id="}, "leaderElection.id"},
        WrongValueCase{{"--set", "clusterCA.rotationOverlap=1day"}, "clusterCA.rotationOverlap"},
        WrongValueCase{{"--set-string", "serviceMonitor.enabled=yes"}, "serviceMonitor.enabled"},
        WrongValueCase{{"--set", "serviceMonitor.interval=often"}, "serviceMonitor.interval"},
        WrongValueCase{{"--set", "grafanaDashboard.labelValue=not valid"}, "grafanaDashboard.labelValue"},
        WrongValueCase{{"--set", "networkPolicy.apiServer.ports={0}"}, "networkPolicy.apiServer.ports"},
        WrongValueCase{{"--set", "networkPolicy.apiServer.cidrs={10.0.0.0}"}, "networkPolicy.apiServer.cidrs"},
        WrongValueCase{{"--set", "networkPolicy.metrics.from[0].podSelecter.app=prometheus"}, "podSelecter"},
        WrongValueCase{{"--set-string", "podDisruptionBudget.minAvailable=half"}, "podDisruptionBudget.minAvailable"},
        WrongValueCase{{"--set", "podAntiAffinity=always"}, "podAntiAffinity"},
        WrongValueCase{{"--set", "commonLabels.app\\.kubernetes\\.io/name=x"}, "commonLabels"},
        WrongValueCase{{"--set", "podLabels.app\\.kubernetes\\.io/instance=x"}, "podLabels"},
        WrongValueCase{{"--set", "terminationGracePeriodSeconds=0"}, "terminationGracePeriodSeconds"},
        // Checks across values, in the templates.
        WrongValueCase{{"--set", "leaderElection.enabled=false"}, "leaderElection.enabled"},
        WrongValueCase{{"--set", "terminationGracePeriodSeconds=30"}, "terminationGracePeriodSeconds"},
        WrongValueCase{{"--set", "podDisruptionBudget.minAvailable=2"}, "podDisruptionBudget.minAvailable"},
        WrongValueCase{{"--set", "serviceAccount.create=false"}, "serviceAccount.name"}),
    [](const ::testing::TestParamInfo<WrongValueCase>& info) {
      std::string name = std::to_string(info.index) + "_";
      for (char c : info.param.field) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return name;
    });

TEST(ChartSchema, AcceptsTheDocumentedAlternatives) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--set-string", "podDisruptionBudget.minAvailable=50%"},
           {"--set", "replicaCount=1", "--set", "leaderElection.enabled=false"},
           {"--set", "serviceAccount.create=false", "--set", "serviceAccount.name=existing"},
           {"--set", "podAntiAffinity=none"},
           {"--set-string", "leaderElection.leaseDuration=1m30s"},
       }) {
    const Render r = render(args);
    EXPECT_EQ(r.exit_code, 0) << ::testing::PrintToString(args) << ": " << r.err;
  }
}

// ---------------------------------------------------------------------------------------
// The ValidatingWebhookConfiguration.

// The webhooks the operator serves (its handler paths, the Service port 443 in front of the
// container's webhook port) and the policies the issue asks for. The e2e suites install this
// render into the API test server and see both webhooks called.
constexpr const char* kDefaultWebhooks = R"(
webhooks:
  - name: pods.secureservice.io
    admissionReviewVersions: ["v1"]
    sideEffects: None
    failurePolicy: Fail
    timeoutSeconds: 10
    clientConfig:
      service:
        namespace: secureservice-system
        name: secureservice-operator-webhook
        path: /validate-v1-pod
        port: 443
    rules:
      - operations: ["CREATE", "UPDATE"]
        apiGroups: [""]
        apiVersions: ["v1"]
        resources: ["pods"]
        scope: Namespaced
    namespaceSelector:
      matchExpressions:
        - key: kubernetes.io/metadata.name
          operator: NotIn
          values: ["kube-system", "secureservice-system"]
  - name: secureservices.secureservice.io
    admissionReviewVersions: ["v1"]
    sideEffects: None
    failurePolicy: Fail
    timeoutSeconds: 10
    clientConfig:
      service:
        namespace: secureservice-system
        name: secureservice-operator-webhook
        path: /validate-secureservice-io-v1alpha1-secureservice
        port: 443
    rules:
      - operations: ["CREATE", "UPDATE"]
        apiGroups: ["secureservice.io"]
        apiVersions: ["v1alpha1"]
        resources: ["secureservices"]
        scope: Namespaced
)";

TEST(ChartWebhook, DefaultRenderServesBothWebhooksFailClosedOutsideTheReleaseNamespaceAndKubeSystem) {
  const Render r = render({"--show-only", "templates/validatingwebhookconfiguration.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.objects.size(), 1u);
  const json& rendered = r.objects[0];
  const auto expected = parse_yaml(kDefaultWebhooks);
  ASSERT_EQ(expected.size(), 1u);
  EXPECT_EQ(rendered["apiVersion"], "admissionregistration.k8s.io/v1");
  EXPECT_EQ(name_of(rendered), "secureservice-operator");
  // Webhooks, rules, paths, Service, port, policies and namespaceSelector, field for field.
  EXPECT_EQ(rendered["webhooks"], expected[0]["webhooks"]) << rendered["webhooks"].dump(2);
}

TEST(ChartWebhook, LeavesTheCaBundleToTheOperator) {
  const json config = default_render().one("ValidatingWebhookConfiguration");
  for (const auto& w : config["webhooks"]) {
    EXPECT_FALSE(w["clientConfig"].contains("caBundle")) << w["name"];
    EXPECT_EQ(w["sideEffects"], "None");
    EXPECT_EQ(w["admissionReviewVersions"], json::array({"v1"}));
  }
  EXPECT_FALSE(default_render().has("Secret")) << "the chart must not make certificates";
}

TEST(ChartWebhook, PodsWebhookAlwaysSparesReleaseNamespaceAndKubeSystem) {
  const Render r = render({"--set", "webhook.excludeNamespaces={monitoring,kube-system}", "--set",
                           "webhook.namespaceSelectorExpressions[0].key=kubernetes.io/metadata.name", "--set",
                           "webhook.namespaceSelectorExpressions[0].operator=In", "--set",
                           "webhook.namespaceSelectorExpressions[0].values={kube-system,ops,shop,monitoring}"},
                          kRelease, "ops");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json config = r.one("ValidatingWebhookConfiguration");
  const json& pods = webhook_named(config, "pods.secureservice.io");
  // The user's own expression tries to bring kube-system and the release namespace back in:
  // matchExpressions are ANDed, so it cannot.
  for (const char* spared : {"kube-system", "ops", "monitoring"})
    EXPECT_FALSE(selects(pods["namespaceSelector"], namespace_labels(spared))) << spared;
  EXPECT_TRUE(selects(pods["namespaceSelector"], namespace_labels("shop")));
  EXPECT_FALSE(selects(pods["namespaceSelector"], namespace_labels("elsewhere"))) << "the user's In narrows";
  // Listed once each, whatever the user repeats.
  const json& not_in = pods["namespaceSelector"]["matchExpressions"][0];
  EXPECT_EQ(not_in["values"], json::array({"kube-system", "ops", "monitoring"}));
}

TEST(ChartWebhook, SecureServicesWebhookChecksEveryNamespace) {
  const json config = all_on_render().one("ValidatingWebhookConfiguration");
  const json& services = webhook_named(config, "secureservices.secureservice.io");
  EXPECT_FALSE(services.contains("namespaceSelector"));
  for (const char* ns : {"kube-system", "secureservice-system", "monitoring"})
    EXPECT_TRUE(selects(services.value("namespaceSelector", json::object()), namespace_labels(ns))) << ns;
}

TEST(ChartWebhook, CarriesTheConfiguredFailurePolicyAndTimeout) {
  const json configured = all_on_render().one("ValidatingWebhookConfiguration");
  for (const auto& w : configured["webhooks"]) {
    EXPECT_EQ(w["failurePolicy"], "Ignore") << w["name"];
    EXPECT_EQ(w["timeoutSeconds"], 5) << w["name"];
  }
  const json defaults = default_render().one("ValidatingWebhookConfiguration");
  for (const auto& w : defaults["webhooks"]) {
    EXPECT_EQ(w["failurePolicy"], "Fail") << w["name"];
    EXPECT_EQ(w["timeoutSeconds"], 10) << w["name"];
  }
}

// ---------------------------------------------------------------------------------------
// The Deployment.

// The names on the operator's command line are those of the objects the chart renders.
void expect_flags_name_rendered_objects(const Render& r) {
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json deployment = r.one("Deployment");
  const auto flags = flags_of(deployment);
  const std::string ns = namespace_of(deployment);
  EXPECT_EQ(flags.at("<command>"), "run");

  const json config = r.one("ValidatingWebhookConfiguration");
  EXPECT_EQ(flags.at("webhook-config-name"), name_of(config));
  for (const auto& w : config["webhooks"]) {
    const json& service_ref = w["clientConfig"]["service"];
    EXPECT_EQ(flags.at("webhook-service"),
              service_ref["namespace"].get<std::string>() + "/" + service_ref["name"].get<std::string>());
    EXPECT_EQ(service_ref["port"], 443);
    const json service = r.one("Service", service_ref["name"]);
    EXPECT_EQ(namespace_of(service), ns);
    ASSERT_EQ(service["spec"]["ports"].size(), 1u);
    EXPECT_EQ(service["spec"]["ports"][0]["port"], 443);
    EXPECT_EQ(service["spec"]["ports"][0]["targetPort"], "webhook");
    EXPECT_TRUE(
        selects({{"matchLabels", service["spec"]["selector"]}},
                deployment["spec"]["template"]["metadata"]["labels"].get<std::map<std::string, std::string>>()));
  }
  EXPECT_EQ(flags.at("webhook-bind-address"), ":" + std::to_string(container_port(deployment, "webhook")));
  EXPECT_EQ(flags.at("metrics-bind-address"), ":" + std::to_string(container_port(deployment, "metrics")));
  EXPECT_EQ(flags.at("metrics-secure"), "true");
  EXPECT_EQ(flags.at("health-probe-bind-address"), ":" + std::to_string(container_port(deployment, "health")));

  // The Secrets and the Lease the flags name are the ones the Role grants by name.
  const RuleSet own = rules_of(r.one("Role"));
  const std::string ca_secret = flags.at("ca-secret");
  ASSERT_TRUE(ca_secret.starts_with(ns + "/")) << ca_secret;
  const std::string secrets_key =
      "/secrets[" + ca_secret.substr(ns.size() + 1) + "," + flags.at("webhook-secret") + "]";
  EXPECT_TRUE(own.count(secrets_key)) << secrets_key;
  EXPECT_TRUE(own.count("coordination.k8s.io/leases[" + flags.at("leader-election-id") + "]"));
  EXPECT_TRUE(rules_of(r.one("ClusterRole", name_of(deployment) + "-cluster"))
                  .count("admissionregistration.k8s.io/validatingwebhookconfigurations[" + name_of(config) + "]"));
  EXPECT_EQ(deployment["spec"]["template"]["spec"]["serviceAccountName"], name_of(r.one("ServiceAccount")));
}

TEST(ChartDeployment, FlagsNameTheRenderedObjectsWithDefaults) { expect_flags_name_rendered_objects(default_render()); }

TEST(ChartDeployment, FlagsNameTheRenderedObjectsWithEveryOptionOn) {
  expect_flags_name_rendered_objects(all_on_render());
  const auto flags = flags_of(all_on_render().one("Deployment"));
  EXPECT_EQ(flags.at("ca-secret"), "secureservice-system/sso-root-ca");
  EXPECT_EQ(flags.at("leader-election-id"), "sso-leader");
  EXPECT_EQ(flags.at("namespace"), "shop,payments");
  EXPECT_EQ(flags.at("graceful-shutdown-timeout"), "20s");
  EXPECT_TRUE(flags.count("leader-election-namespace")) << "extraArgs are passed on";
}

TEST(ChartDeployment, OperatorAcceptsEveryRenderedFlag) {
  if (!std::filesystem::exists(SSO_OPERATOR_BIN)) GTEST_SKIP() << SSO_OPERATOR_BIN << " is not built";
  for (const Render* r : {&default_render(), &all_on_render()}) {
    std::vector<std::string> argv = {SSO_OPERATOR_BIN};
    const json deployment = r->one("Deployment");
    for (const auto& a : operator_container(deployment)["args"]) argv.push_back(a);
    // Flags are parsed and checked before the cluster is looked for: a missing kubeconfig
    // is the first thing that can go wrong once every flag is understood.
    argv.push_back("--kubeconfig=/nonexistent/kubeconfig");
    const ProcessResult run = run_process(argv);
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_THAT(run.err, HasSubstr("/nonexistent/kubeconfig")) << ::testing::PrintToString(argv);
  }
}

TEST(ChartDeployment, RunsAsRestrictedNonRootWithReadOnlyRoot) {
  for (const Render* r : {&default_render(), &all_on_render()}) {
    const json pod = r->one("Deployment")["spec"]["template"]["spec"];
    EXPECT_EQ(pod["securityContext"]["runAsNonRoot"], true);
    EXPECT_EQ(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
    const json& c = pod["containers"][0]["securityContext"];
    EXPECT_EQ(c["readOnlyRootFilesystem"], true);
    EXPECT_EQ(c["allowPrivilegeEscalation"], false);
    EXPECT_EQ(c["runAsNonRoot"], true);
    EXPECT_EQ(c["capabilities"]["drop"], json::array({"ALL"}));
    EXPECT_FALSE(c["capabilities"].contains("add"));
    EXPECT_EQ(c["seccompProfile"]["type"], "RuntimeDefault");
    EXPECT_FALSE(pod.contains("hostNetwork"));
    EXPECT_EQ(pod["automountServiceAccountToken"], true);
  }
}

TEST(ChartDeployment, ProbesHealthEndpointsAndSetsResources) {
  const json deployment = default_render().one("Deployment");
  const json& c = operator_container(deployment);
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["path"], "/healthz");
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["port"], "health");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"], "/readyz");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["port"], "health");
  EXPECT_EQ(container_port(deployment, "health"), 8081);
  EXPECT_EQ(container_port(deployment, "metrics"), 8443);
  EXPECT_EQ(container_port(deployment, "webhook"), 9443);
  for (const char* part : {"requests", "limits"})
    for (const char* resource : {"cpu", "memory"})
      EXPECT_TRUE(c["resources"][part].contains(resource)) << part << resource;
  // POD_NAMESPACE from the downward API: where the operator keeps its Lease and CA.
  ASSERT_EQ(c["env"].size(), 1u);
  EXPECT_EQ(c["env"][0]["name"], "POD_NAMESPACE");
  EXPECT_EQ(c["env"][0]["valueFrom"]["fieldRef"]["fieldPath"], "metadata.namespace");
}

TEST(ChartDeployment, GivesReconcilesTimeToFinishBeforeSigkill) {
  for (const Render* r : {&default_render(), &all_on_render()}) {
    const json deployment = r->one("Deployment");
    const std::string grace = flags_of(deployment).at("graceful-shutdown-timeout");
    ASSERT_TRUE(grace.ends_with("s")) << grace;
    EXPECT_GT(deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"].get<int>(),
              std::stoi(grace.substr(0, grace.size() - 1)));
  }
}

TEST(ChartDeployment, TwoReplicasElectALeaderSpreadOverNodesAndKeepOneThroughDrains) {
  const Render& r = default_render();
  const json deployment = r.one("Deployment");
  EXPECT_EQ(deployment["spec"]["replicas"], 2);
  EXPECT_TRUE(flags_of(deployment).count("leader-elect"));
  const json& anti = deployment["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"];
  ASSERT_EQ(anti["preferredDuringSchedulingIgnoredDuringExecution"].size(), 1u);
  const json& term = anti["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"];
  EXPECT_EQ(term["topologyKey"], "kubernetes.io/hostname");
  const auto pod_labels =
      deployment["spec"]["template"]["metadata"]["labels"].get<std::map<std::string, std::string>>();
  EXPECT_TRUE(selects(term["labelSelector"], pod_labels));
  const json pdb = r.one("PodDisruptionBudget");
  EXPECT_EQ(pdb["apiVersion"], "policy/v1");
  EXPECT_EQ(pdb["spec"]["minAvailable"], 1);
  EXPECT_TRUE(selects(pdb["spec"]["selector"], pod_labels));
}

TEST(ChartDeployment, OneReplicaHasNoDisruptionBudgetAndStillElectsALeader) {
  const Render r = render({"--set", "replicaCount=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(r.has("PodDisruptionBudget"));
  const json deployment = r.one("Deployment");
  EXPECT_EQ(deployment["spec"]["replicas"], 1);
  const auto flags = flags_of(deployment);
  EXPECT_TRUE(flags.count("leader-elect"));
  EXPECT_TRUE(rules_of(r.one("Role")).count("coordination.k8s.io/leases[" + flags.at("leader-election-id") + "]"));
  const ProcessResult valid = run_process({SSO_VALIDATE_MANIFESTS, "--crds", SSO_CRDS_DIR, "-"}, r.yaml);
  EXPECT_EQ(valid.exit_code, 0) << valid.out << valid.err;

  const Render single = render({"--set", "replicaCount=1", "--set", "leaderElection.enabled=false"});
  ASSERT_EQ(single.exit_code, 0) << single.err;
  EXPECT_FALSE(flags_of(single.one("Deployment")).count("leader-elect"));
  for (const auto& [rule, verbs] : rules_of(single.one("Role"))) EXPECT_THAT(rule, Not(HasSubstr("leases")));
}

TEST(ChartDeployment, DisruptionBudgetCanBeSwitchedOff) {
  const Render r = render({"--set", "podDisruptionBudget.enabled=false"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(r.has("PodDisruptionBudget"));
}

// ---------------------------------------------------------------------------------------
// RBAC: exactly the audit of RBAC.md.

TEST(ChartRbac, GrantsExactlyTheAuditedRules) {
  const Render& r = default_render();
  const std::set<std::string> mesh = {"list", "create", "update", "delete"};
  const RuleSet controller = {
      {"secureservice.io/secureservices[]", {"list", "watch", "patch"}},
      {"secureservice.io/secureservices/status[]", {"update"}},
      {"secureservice.io/secureservices/finalizers[]", {"update"}},
      {"/secrets[]", {"get", "list", "watch", "create", "update"}},
      {"/configmaps[]", {"list", "watch", "create", "update", "delete"}},
      {"networking.k8s.io/networkpolicies[]", {"list", "watch", "create", "update", "delete"}},
      {"/events[]", {"create", "patch"}},
      {"security.istio.io/peerauthentications[]", mesh},
      {"security.istio.io/authorizationpolicies[]", mesh},
      {"security.istio.io/requestauthentications[]", mesh},
      {"networking.istio.io/destinationrules[]", mesh},
      {"policy.linkerd.io/servers[]", mesh},
      {"policy.linkerd.io/meshtlsauthentications[]", mesh},
      {"policy.linkerd.io/authorizationpolicies[]", mesh},
      {"policy.linkerd.io/httproutes[]", mesh},
      {"apps/deployments[]", {"list", "patch"}},
      {"apps/statefulsets[]", {"list", "patch"}},
      {"apps/daemonsets[]", {"list", "patch"}},
  };
  EXPECT_EQ(rules_of(r.one("ClusterRole", "secureservice-operator")), controller);
  const RuleSet cluster = {
      {"admissionregistration.k8s.io/validatingwebhookconfigurations[secureservice-operator]",
       {"list", "watch", "update"}},
      {"/namespaces[]", {"list", "watch"}},
  };
  EXPECT_EQ(rules_of(r.one("ClusterRole", "secureservice-operator-cluster")), cluster);
  const RuleSet own = {
      {"/secrets[]", {"create"}},
      {"/secrets[secureservice-operator-ca,secureservice-operator-webhook-tls]", {"list", "watch", "update"}},
      {"/events[]", {"create", "patch"}},
      {"coordination.k8s.io/leases[]", {"create"}},
      {"coordination.k8s.io/leases[secureservice-operator]", {"get", "update"}},
  };
  EXPECT_EQ(rules_of(r.one("Role", "secureservice-operator")), own);
  const RuleSet metrics_auth = {
      {"authentication.k8s.io/tokenreviews[]", {"create"}},
      {"authorization.k8s.io/subjectaccessreviews[]", {"create"}},
  };
  EXPECT_EQ(rules_of(r.one("ClusterRole", "secureservice-operator-metrics-auth")), metrics_auth);
  EXPECT_EQ(r.one("ClusterRole", "secureservice-operator-metrics-reader")["rules"],
            json::parse(R"([{"nonResourceURLs": ["/metrics"], "verbs": ["get"]}])"))
      << "for the scraper to be bound to";
}

TEST(ChartRbac, BindsEveryRoleToTheOperatorsServiceAccount) {
  const Render& r = default_render();
  const std::string sa = name_of(r.one("ServiceAccount"));
  std::set<std::string> bound;
  for (const char* kind : {"ClusterRoleBinding", "RoleBinding"})
    for (const auto& b : r.of_kind(kind)) {
      ASSERT_EQ(b["subjects"].size(), 1u) << id_of(b);
      EXPECT_EQ(b["subjects"][0]["kind"], "ServiceAccount");
      EXPECT_EQ(b["subjects"][0]["name"], sa);
      EXPECT_EQ(b["subjects"][0]["namespace"], kNamespace);
      bound.insert(b["roleRef"]["kind"].get<std::string>() + " " + b["roleRef"]["name"].get<std::string>());
    }
  EXPECT_EQ(bound,
            (std::set<std::string>{"ClusterRole secureservice-operator", "ClusterRole secureservice-operator-cluster",
                                   "ClusterRole secureservice-operator-metrics-auth", "Role secureservice-operator"}));
}

TEST(ChartRbac, WatchedNamespacesGetRoleBindingsInsteadOfClusterWideAccess) {
  const Render& r = all_on_render();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& b : r.of_kind("ClusterRoleBinding"))
    EXPECT_NE(b["roleRef"]["name"], "sso-secureservice-operator") << "the controller's rules must not be cluster-wide";
  std::set<std::string> namespaces;
  for (const auto& b : r.of_kind("RoleBinding"))
    if (b["roleRef"]["kind"] == "ClusterRole" && b["roleRef"]["name"] == "sso-secureservice-operator")
      namespaces.insert(namespace_of(b));
  EXPECT_EQ(namespaces, (std::set<std::string>{"shop", "payments"}));
  const RuleSet cluster = rules_of(r.one("ClusterRole", "sso-secureservice-operator-cluster"));
  EXPECT_TRUE(cluster.count("/namespaces[shop,payments]"));
  EXPECT_FALSE(cluster.count("/namespaces[]"));
}

// ---------------------------------------------------------------------------------------
// The NetworkPolicy of the operator's own pods.

TEST(ChartNetworkPolicy, LetsInWebhookAndScrapesAndOutOnlyDnsAndTheApiServer) {
  const Render& r = default_render();
  const json deployment = r.one("Deployment");
  const json np = r.one("NetworkPolicy");
  EXPECT_TRUE(selects(np["spec"]["podSelector"],
                      deployment["spec"]["template"]["metadata"]["labels"].get<std::map<std::string, std::string>>()));
  EXPECT_EQ(np["spec"]["policyTypes"], json::array({"Ingress", "Egress"}));

  std::map<int, json> ingress;  // port -> rule
  for (const auto& rule : np["spec"]["ingress"])
    for (const auto& p : rule["ports"]) ingress[p["port"].get<int>()] = rule;
  ASSERT_EQ(ingress.size(), 2u) << np["spec"]["ingress"].dump();
  EXPECT_FALSE(ingress[9443].contains("from")) << "the API server's address is not known";
  EXPECT_EQ(ingress[8443]["from"], json::parse(R"([{"namespaceSelector": {}}])"));
  EXPECT_FALSE(ingress.count(8081)) << "kubelet probes need no rule by default";

  std::set<std::string> egress;
  for (const auto& rule : np["spec"]["egress"])
    for (const auto& p : rule["ports"])
      egress.insert(p["protocol"].get<std::string>() + "/" + std::to_string(p["port"].get<int>()));
  EXPECT_EQ(egress, (std::set<std::string>{"UDP/53", "TCP/53", "TCP/443", "TCP/6443"}));
}

TEST(ChartNetworkPolicy, FollowsConfiguredPortsAndPeers) {
  const Render& r = all_on_render();
  const json np = r.one("NetworkPolicy");
  std::map<int, json> ingress;
  for (const auto& rule : np["spec"]["ingress"])
    for (const auto& p : rule["ports"]) ingress[p["port"].get<int>()] = rule;
  EXPECT_EQ(ingress[10250]["from"][0]["ipBlock"]["cidr"], "10.0.0.0/16");
  EXPECT_EQ(ingress[9090]["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"], "monitoring");
  ASSERT_TRUE(ingress.count(9091)) << "probes from the node CIDRs, and the extra rule";
  EXPECT_FALSE(render({"--set", "networkPolicy.enabled=false"}).has("NetworkPolicy"));
}

// ---------------------------------------------------------------------------------------
// Prometheus and Grafana.

TEST(ChartMonitoring, NothingForThePrometheusOperatorOrGrafanaByDefault) {
  const Render& r = default_render();
  EXPECT_FALSE(r.has("ServiceMonitor"));
  EXPECT_FALSE(r.has("PrometheusRule"));
  EXPECT_FALSE(r.has("ConfigMap"));
  EXPECT_TRUE(r.has("Service", "secureservice-operator-metrics"));
}

TEST(ChartMonitoring, ServiceMonitorScrapesTheMetricsService) {
  const Render r = render({"--set", "serviceMonitor.enabled=true", "--set", "serviceMonitor.labels.release=kps"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json sm = r.one("ServiceMonitor");
  EXPECT_EQ(sm["metadata"]["labels"]["release"], "kps");
  const json service = r.one("Service", "secureservice-operator-metrics");
  EXPECT_TRUE(selects(sm["spec"]["selector"], service["metadata"]["labels"].get<std::map<std::string, std::string>>()));
  EXPECT_FALSE(selects(sm["spec"]["selector"], r.one("Service", "secureservice-operator-webhook")["metadata"]["labels"]
                                                   .get<std::map<std::string, std::string>>()))
      << "the webhook Service serves no metrics";
  EXPECT_EQ(sm["spec"]["namespaceSelector"]["matchNames"], json::array({kNamespace}));
  ASSERT_EQ(sm["spec"]["endpoints"].size(), 1u);
  EXPECT_EQ(sm["spec"]["endpoints"][0]["port"], service["spec"]["ports"][0]["name"]);
  EXPECT_EQ(sm["spec"]["endpoints"][0]["path"], "/metrics");
  // Secure by default, as kubebuilder's ServiceMonitor: Prometheus's token, the self-signed
  // certificate not verified.
  EXPECT_EQ(sm["spec"]["endpoints"][0]["scheme"], "https");
  EXPECT_EQ(sm["spec"]["endpoints"][0]["bearerTokenFile"], "/var/run/secrets/kubernetes.io/serviceaccount/token");
  EXPECT_EQ(sm["spec"]["endpoints"][0]["tlsConfig"]["insecureSkipVerify"], true);
  const Render plain = render({"--set", "serviceMonitor.enabled=true", "--set", "metrics.secure=false"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.one("ServiceMonitor")["spec"]["endpoints"][0]["scheme"], "http");
  EXPECT_FALSE(plain.one("ServiceMonitor")["spec"]["endpoints"][0].contains("bearerTokenFile"));
  EXPECT_FALSE(plain.has("ClusterRole", "secureservice-operator-metrics-auth"))
      << "nothing to review without --metrics-secure";
}

TEST(ChartMonitoring, PrometheusRuleCarriesTheRulesFileAndPassesPromtool) {
  const Render r = render({"--set", "prometheusRule.enabled=true"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json rule = r.one("PrometheusRule");
  const auto file = parse_yaml(read_file(std::string(kChart) + "/files/prometheus-rules.yaml"));
  ASSERT_EQ(file.size(), 1u);
  EXPECT_EQ(rule["spec"]["groups"], file[0].value("groups", json::array()));
  TempDir dir;
  const ProcessResult check =
      run_process({SSO_PROMTOOL_BIN, "check", "rules", dir.write("rules.json", rule["spec"].dump())});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST(ChartMonitoring, DashboardConfigMapIsLabelledForTheGrafanaSidecar) {
  const Render r = render({"--set", "grafanaDashboard.enabled=true"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json cm = r.one("ConfigMap");
  EXPECT_EQ(cm["metadata"]["labels"]["grafana_dashboard"], "1");
  ASSERT_EQ(cm["data"].size(), 1u);
  const std::string embedded = cm["data"].begin().value();
  std::string file = read_file(std::string(kChart) + "/files/grafana-dashboard.json");
  while (!file.empty() && std::isspace(static_cast<unsigned char>(file.back()))) file.pop_back();
  EXPECT_EQ(embedded, file);
  EXPECT_TRUE(json::accept(embedded)) << "files/grafana-dashboard.json is not JSON";

  const Render custom =
      render({"--set", "grafanaDashboard.enabled=true", "--set", "grafanaDashboard.namespace=monitoring", "--set",
              "grafanaDashboard.labelKey=dashboards", "--set-string", "grafanaDashboard.labelValue=secureservice"});
  ASSERT_EQ(custom.exit_code, 0) << custom.err;
  const json moved = custom.one("ConfigMap");
  EXPECT_EQ(namespace_of(moved), "monitoring");
  EXPECT_EQ(moved["metadata"]["labels"]["dashboards"], "secureservice");
  EXPECT_FALSE(moved["metadata"]["labels"].contains("grafana_dashboard"));
}

// ---------------------------------------------------------------------------------------
// NOTES.txt: helm prints it only on install, so it is rendered here through tpl in a copy
// of the chart.

std::string render_notes(const std::vector<std::string>& args) {
  TempDir dir;
  const std::string chart = dir.file("chart");
  EXPECT_EQ(run_process({"cp", "-R", kChart, chart}).exit_code, 0);
  dir.write("chart/notes.txt", read_file(std::string(kChart) + "/templates/NOTES.txt"));
  dir.write("chart/templates/zz-notes.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\n"
            "data:\n  notes: {{ tpl (.Files.Get \"notes.txt\") . | toJson }}\n");
  std::vector<std::string> argv = {SSO_HELM_BIN,  "template", kRelease,      chart,
                                   "--namespace", kNamespace, "--show-only", "templates/zz-notes.yaml"};
  argv.insert(argv.end(), args.begin(), args.end());
  const ProcessResult r = run_process(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto objects = parse_yaml(r.out);
  return objects.size() == 1 ? objects[0]["data"].value("notes", "") : "";
}

TEST(ChartNotes, TellTheUserHowToApplyCheckAndScrape) {
  const std::string notes = render_notes({});
  EXPECT_THAT(notes, HasSubstr("kind: SecureService"));
  EXPECT_THAT(notes, HasSubstr("kubectl apply -f -"));
  EXPECT_THAT(notes, HasSubstr("--for=condition=Ready"));
  EXPECT_THAT(notes, HasSubstr("service/secureservice-operator-metrics 8443"));
  EXPECT_THAT(notes, HasSubstr("Authorization: Bearer"));
  EXPECT_THAT(notes, HasSubstr("/metrics"));
  EXPECT_THAT(notes, Not(HasSubstr("ServiceMonitor")));
  const std::string all_on = render_notes({"-f", kAllOnValues});
  EXPECT_THAT(all_on, HasSubstr("ServiceMonitor"));
  EXPECT_THAT(all_on, HasSubstr("Only these namespaces are watched: shop, payments"));
}

// ---------------------------------------------------------------------------------------
// Generated files kept in step with their sources.

std::map<std::string, std::string> yaml_files_in(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".yaml") out[entry.path().filename()] = read_file(entry.path());
  return out;
}

TEST(ChartFiles, ChartCrdsAreByteIdenticalToTheTopLevelCrds) {
  const auto chart = yaml_files_in(std::string(kChart) + "/crds");
  const auto top = yaml_files_in(SSO_CRDS_DIR);
  ASSERT_FALSE(top.empty());
  for (const auto& [name, content] : top) {
    ASSERT_TRUE(chart.count(name)) << "charts/secureservice-operator/crds lacks " << name << ": run make manifests";
    EXPECT_TRUE(chart.at(name) == content) << name << " differs from crds/" << name << ": run make manifests";
  }
  for (const auto& [name, content] : chart) EXPECT_TRUE(top.count(name)) << name << " is not in crds/";
}

TEST(ChartFiles, InstallYamlIsAFreshRenderOfTheChart) {
  const ProcessResult check = run_process({"env", std::string("HELM=") + SSO_HELM_BIN,
                                           std::string(SSO_SOURCE_DIR) + "/hack/generate-manifests.sh", "--check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  const auto objects = parse_yaml(read_file(std::string(SSO_MANIFESTS_DIR) + "/install.yaml"));
  ASSERT_GE(objects.size(), 2u);
  EXPECT_EQ(objects[0]["kind"], "Namespace");
  EXPECT_EQ(name_of(objects[0]), kNamespace);
  EXPECT_EQ(objects[1]["kind"], "CustomResourceDefinition");
  for (size_t i = 1; i < objects.size(); ++i) {
    if (objects[i]["metadata"].contains("namespace")) {
      EXPECT_EQ(namespace_of(objects[i]), kNamespace) << id_of(objects[i]);
    }
  }
}

}  // namespace
