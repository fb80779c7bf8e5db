#include "webhook/pod_policy.hpp"

#include <gmock/gmock.h>

#include <functional>

#include "status_matchers.hpp"

namespace sso::webhook {
namespace {

using nlohmann::json;
using ::sso::testing::HasCode;
using ::sso::testing::IsOk;
using ::testing::AllOf;
using ::testing::Each;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr const char* kMountFix =
    "container \"app\": add to volumeMounts: {name: tls, mountPath: /etc/secureservice/tls, readOnly: true}";

// A SecureService as the API server stores it, defaulted by parse_secure_service: pods app=NAME,
// Secret NAME-tls, mounted at /etc/secureservice/tls, ServiceAccount NAME.
api::SecureService service(const std::string& name, const std::string& mode = "Enforce",
                           const std::function<void(json&)>& edit = {}) {
  json object = {{"apiVersion", "secureservice.io/v1alpha1"},
                 {"kind", "SecureService"},
                 {"metadata", {{"name", name}, {"namespace", "shop"}}},
                 {"spec",
                  {{"selector", {{"matchLabels", {{"app", name}}}}},
                   {"serviceAccountName", name},
                   {"ports", json::array({{{"name", "https"}, {"port", 8443}}})},
                   {"admission", {{"mode", mode}}}}}};
  if (edit) edit(object);
  auto parsed = api::parse_secure_service(object);
  if (!parsed.ok()) ADD_FAILURE() << parsed.error().describe();
  return *parsed;
}

// A pod that carries the identity of SecureService checkout.
json compliant_pod() {
  return json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "checkout"}},
    "spec": {
      "serviceAccountName": "checkout",
      "volumes": [{"name": "tls", "secret": {"secretName": "checkout-tls"}}],
      "containers": [{"name": "app", "image": "shop/checkout:1",
                      "volumeMounts": [{"name": "tls", "mountPath": "/etc/secureservice/tls", "readOnly": true}]}]
    }})");
}

Pod pod_of(const json& object) {
  auto pod = parse_pod(object);
  if (!pod.ok()) ADD_FAILURE() << pod.error().describe();
  return *pod;
}

Verdict decide(const json& pod, const std::vector<api::SecureService>& services, bool strict = false) {
  std::vector<const api::SecureService*> pointers;
  pointers.reserve(services.size());
  for (const auto& s : services) pointers.push_back(&s);
  return decide_pod(pod_of(pod), pointers, NamespacePolicy{.strict = strict});
}

json& first_mount(json& pod) { return pod["spec"]["containers"][0]["volumeMounts"][0]; }

json init_container(const std::string& name, bool read_only, const std::string& restart_policy = "") {
  json c = {{"name", name},
            {"image", "busybox"},
            {"volumeMounts",
             json::array({{{"name", "tls"}, {"mountPath", "/etc/secureservice/tls"}, {"readOnly", read_only}}})}};
  if (!restart_policy.empty()) c["restartPolicy"] = restart_policy;
  return c;
}

// One pod edit against SecureService checkout in Enforce mode: allowed or the reason, and what the
// message must say (the SecureService, the container, the exact fix).
struct EnforceCase {
  std::string name;
  std::function<void(json&)> edit;
  std::string reason;  // "Compliant" when allowed
  std::vector<std::string> message_has;
  std::vector<std::string> message_lacks = {};
};

class EnforcedPod : public ::testing::TestWithParam<EnforceCase> {};

TEST_P(EnforcedPod, DecidesAndSaysWhatToFix) {
  const EnforceCase& c = GetParam();
  json pod = compliant_pod();
  c.edit(pod);
  const Verdict v = decide(pod, {service("checkout")});
  EXPECT_EQ(v.reason, c.reason);
  EXPECT_EQ(v.allowed, c.reason == "Compliant") << v.message;
  EXPECT_THAT(v.warnings, SizeIs(0));
  if (v.allowed) {
    EXPECT_EQ(v.message, "");
    return;
  }
  EXPECT_THAT(v.message, StartsWith("SecureService checkout selects pod web, which does not carry its identity: "));
  for (const auto& fragment : c.message_has) EXPECT_THAT(v.message, HasSubstr(fragment));
  for (const auto& fragment : c.message_lacks) EXPECT_THAT(v.message, Not(HasSubstr(fragment)));
}

INSTANTIATE_TEST_SUITE_P(
    PodPolicy, EnforcedPod,
    ::testing::Values(
        EnforceCase{"CompliantWithSecretVolume", [](json&) {}, "Compliant", {}},
        EnforceCase{"CompliantWithProjectedVolume",
                    [](json& p) {
                      p["spec"]["volumes"][0] = json::parse(R"({"name": "tls", "projected": {"sources": [
                          {"configMap": {"name": "trust-bundle"}}, {"secret": {"name": "checkout-tls"}}]}})");
                    },
                    "Compliant",
                    {}},
        EnforceCase{"CompliantWithTrailingSlashOnTheMountPath",
                    [](json& p) { first_mount(p)["mountPath"] = "/etc/secureservice/tls/"; },
                    "Compliant",
                    {}},
        EnforceCase{"CompliantWithAnInitContainerThatDoesNotMountIt",
                    [](json& p) {
                      p["spec"]["initContainers"] = json::array({{{"name", "migrate"}}});
                    },
                    "Compliant",
                    {}},
        EnforceCase{"CompliantWithAnInitContainerThatMountsItReadOnly",
                    [](json& p) { p["spec"]["initContainers"] = json::array({init_container("setup", true)}); },
                    "Compliant",
                    {}},
        EnforceCase{
            "CompliantWithANativeSidecarThatDoesNotMountIt",
            [](json& p) {
              p["spec"]["initContainers"] = json::array({{{"name", "log-shipper"}, {"restartPolicy", "Always"}}});
            },
            "Compliant",
            {}},
        EnforceCase{"CompliantWithAnEphemeralContainerThatDoesNotMountIt",
                    [](json& p) {
                      p["spec"]["ephemeralContainers"] = json::array({{{"name", "debugger"}}});
                    },
                    "Compliant",
                    {}},
        EnforceCase{"MissingVolumeGivesTheVolumeAndTheMountToAdd",
                    [](json& p) {
                      p["spec"].erase("volumes");
                      first_mount(p)["name"] = "other";
                    },
                    "MissingVolume",
                    {"add to spec.volumes: {name: checkout-tls, secret: {secretName: checkout-tls}}",
                     "container \"app\": add to volumeMounts: {name: checkout-tls, mountPath: "
                     "/etc/secureservice/tls, readOnly: true}"}},
        EnforceCase{"VolumeOfAnotherSecretIsAMissingVolume",
                    [](json& p) { p["spec"]["volumes"][0]["secret"]["secretName"] = "payments-tls"; },
                    "MissingVolume",
                    {"{secretName: checkout-tls}"}},
        EnforceCase{"MissingVolumeFixAvoidsAVolumeNameInUse",
                    [](json& p) {
                      p["spec"]["volumes"][0] = {{"name", "checkout-tls"}, {"emptyDir", json::object()}};
                    },
                    "MissingVolume",
                    {"add to spec.volumes: {name: checkout-tls-2, secret: {secretName: checkout-tls}}"}},
        EnforceCase{"MissingMountUsesTheExistingVolumesName",
                    [](json& p) { p["spec"]["containers"][0].erase("volumeMounts"); },
                    "MissingMount",
                    {kMountFix},
                    {"spec.volumes"}},
        EnforceCase{"WrongMountPathSaysFoundAndWanted",
                    [](json& p) { first_mount(p)["mountPath"] = "/tls"; },
                    "WrongMountPath",
                    {"container \"app\": volumeMount \"tls\" is at /tls, wanted /etc/secureservice/tls: set its "
                     "mountPath: /etc/secureservice/tls"}},
        EnforceCase{"WritableMountSaysAddReadOnly",
                    [](json& p) { first_mount(p).erase("readOnly"); },
                    "WritableMount",
                    {"container \"app\": volumeMount \"tls\" at /etc/secureservice/tls is writable: add readOnly: "
                     "true"}},
        EnforceCase{"ReadOnlyFalseIsWritable",
                    [](json& p) { first_mount(p)["readOnly"] = false; },
                    "WritableMount",
                    {"add readOnly: true"}},
        EnforceCase{"SubPathMountsOnlyPartOfTheIdentity",
                    [](json& p) { first_mount(p)["subPath"] = "tls.crt"; },
                    "MissingMount",
                    {"container \"app\": volumeMount \"tls\" uses subPath \"tls.crt\"",
                     "mount the whole volume: {name: tls, mountPath: /etc/secureservice/tls, readOnly: true}"}},
        EnforceCase{"SubPathExprMountsOnlyPartOfTheIdentity",
                    [](json& p) { first_mount(p)["subPathExpr"] = "$(POD_NAME)"; },
                    "MissingMount",
                    {"uses subPathExpr \"$(POD_NAME)\""}},
        EnforceCase{"WrongServiceAccountSaysFoundAndWanted",
                    [](json& p) { p["spec"]["serviceAccountName"] = "web"; },
                    "WrongServiceAccount",
                    {"the pod runs as ServiceAccount \"web\", wanted \"checkout\": set spec.serviceAccountName: "
                     "checkout"}},
        EnforceCase{"NoServiceAccountRunsAsDefault",
                    [](json& p) { p["spec"].erase("serviceAccountName"); },
                    "WrongServiceAccount",
                    {"ServiceAccount \"default\" (no spec.serviceAccountName), wanted \"checkout\""}},
        EnforceCase{"DeprecatedServiceAccountFieldCounts",
                    [](json& p) {
                      p["spec"].erase("serviceAccountName");
                      p["spec"]["serviceAccount"] = "checkout";
                    },
                    "Compliant",
                    {}},
        EnforceCase{"TwoContainersOneMissingNamesOnlyThatOne",
                    [](json& p) {
                      p["spec"]["containers"].push_back({{"name", "metrics"}, {"image", "exporter"}});
                    },
                    "MissingMount",
                    {"container \"metrics\": add to volumeMounts: {name: tls, mountPath: /etc/secureservice/tls, "
                     "readOnly: true}"},
                    {"container \"app\""}},
        EnforceCase{"InitContainerWithAWritableMount",
                    [](json& p) { p["spec"]["initContainers"] = json::array({init_container("setup", false)}); },
                    "WritableMount",
                    {"init container \"setup\": volumeMount \"tls\" at /etc/secureservice/tls is writable: add "
                     "readOnly: true"}},
        EnforceCase{
            "NativeSidecarWithAWritableMount",
            [](json& p) { p["spec"]["initContainers"] = json::array({init_container("proxy", false, "Always")}); },
            "WritableMount",
            {"sidecar init container \"proxy\": volumeMount \"tls\""}},
        EnforceCase{
            "EphemeralContainerWithAWritableMount",
            [](json& p) { p["spec"]["ephemeralContainers"] = json::array({init_container("debugger", false)}); },
            "WritableMount",
            {"ephemeral container \"debugger\": volumeMount \"tls\""}},
        EnforceCase{"IstioProxyIsRequiredWithoutAMesh",
                    [](json& p) {
                      p["spec"]["containers"].push_back({{"name", "istio-proxy"}});
                    },
                    "MissingMount",
                    {"container \"istio-proxy\": add to volumeMounts"}},
        EnforceCase{"FirstFailingCheckGivesTheReasonAndEveryProblemIsListed",
                    [](json& p) {
                      p["spec"].erase("volumes");
                      p["spec"]["serviceAccountName"] = "web";
                    },
                    "MissingVolume",
                    {"add to spec.volumes: {name: checkout-tls, secret: {secretName: checkout-tls}}; container "
                     "\"app\": add to volumeMounts: {name: checkout-tls",
                     "; the pod runs as ServiceAccount \"web\", wanted \"checkout\""}}),
    [](const ::testing::TestParamInfo<EnforceCase>& info) { return info.param.name; });

TEST(PodPolicy, AMeshsInjectedProxyNeedNotMountTheIdentity) {
  json pod = compliant_pod();
  pod["spec"]["containers"].push_back({{"name", "istio-proxy"}, {"image", "istio/proxyv2"}});
  const auto istio = service("checkout", "Enforce", [](json& s) { s["spec"]["mesh"] = {{"provider", "Istio"}}; });
  const Verdict v = decide(pod, {istio});
  EXPECT_TRUE(v.allowed) << v.message;
  EXPECT_EQ(v.reason, "Compliant");
}

TEST(PodPolicy, CustomSecretNameAndMountPathAreWhatIsWanted) {
  const auto custom = service("checkout", "Enforce", [](json& s) {
    s["spec"]["tls"] = {{"secretName", "checkout-identity"}, {"mountPath", "/var/run/tls"}};
  });
  json pod = compliant_pod();
  const Verdict v = decide(pod, {custom});
  EXPECT_EQ(v.reason, "MissingVolume");
  EXPECT_THAT(v.message, HasSubstr("{name: checkout-identity, secret: {secretName: checkout-identity}}"));
  EXPECT_THAT(v.message, HasSubstr("mountPath: /var/run/tls, readOnly: true}"));

  pod["spec"]["volumes"][0]["secret"]["secretName"] = "checkout-identity";
  first_mount(pod)["mountPath"] = "/var/run/tls";
  EXPECT_EQ(decide(pod, {custom}).reason, "Compliant");
}

TEST(PodPolicy, AuditAdmitsWithOneWarningPerProblemPrefixedWithTheSecureService) {
  json pod = compliant_pod();
  pod["spec"].erase("volumes");
  pod["spec"].erase("serviceAccountName");
  const Verdict v = decide(pod, {service("checkout", "Audit")});
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.reason, "Audited");
  EXPECT_EQ(v.message, "");
  ASSERT_THAT(v.warnings, SizeIs(3));
  EXPECT_THAT(v.warnings, Each(StartsWith("SecureService checkout (Audit): ")));
  EXPECT_THAT(v.warnings, Each(SizeIs(::testing::Lt(250u))));
  EXPECT_THAT(v.warnings[0],
              HasSubstr("add to spec.volumes: {name: checkout-tls, secret: {secretName: checkout-tls}}"));
  EXPECT_THAT(v.warnings[1], HasSubstr("container \"app\": add to volumeMounts: {name: checkout-tls"));
  EXPECT_THAT(v.warnings[2], HasSubstr("wanted \"checkout\""));
}

TEST(PodPolicy, AuditWarningsCarryTheSameTextAsTheDenial) {
  json pod = compliant_pod();
  first_mount(pod)["mountPath"] = "/tls";
  const Verdict audit = decide(pod, {service("checkout", "Audit")});
  const Verdict enforce = decide(pod, {service("checkout", "Enforce")});
  ASSERT_THAT(audit.warnings, SizeIs(1));
  const std::string text = audit.warnings[0].substr(std::string("SecureService checkout (Audit): ").size());
  EXPECT_THAT(enforce.message, HasSubstr(text));
}

TEST(PodPolicy, AuditOfACompliantPodIsCompliant) {
  const Verdict v = decide(compliant_pod(), {service("checkout", "Audit")});
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.reason, "Compliant");
  EXPECT_THAT(v.warnings, SizeIs(0));
}

TEST(PodPolicy, DisabledModeIsIgnored) {
  json pod = compliant_pod();
  pod["spec"].erase("volumes");
  const Verdict v = decide(pod, {service("checkout", "Disabled")});
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.reason, "AdmissionDisabled");
  EXPECT_THAT(v.warnings, SizeIs(0));
  // Selected by a SecureService, even a Disabled one: not unidentified in a strict namespace.
  EXPECT_TRUE(decide(pod, {service("checkout", "Disabled")}, /*strict=*/true).allowed);
}

TEST(PodPolicy, ASelectorThatDoesNotMatchIsNotSelected) {
  json pod = compliant_pod();
  pod["spec"].erase("volumes");
  pod["metadata"]["labels"] = {{"app", "frontend"}};
  const Verdict v = decide(pod, {service("checkout"), service("payments")});
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.reason, "NotSelected");
}

TEST(PodPolicy, StrictNamespaceDeniesAPodNoSecureServiceSelects) {
  json pod = compliant_pod();
  pod["metadata"]["labels"] = {{"app", "frontend"}, {"tier", "web"}};
  const Verdict v = decide(pod, {service("checkout")}, /*strict=*/true);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.reason, "Unidentified");
  EXPECT_THAT(v.message, AllOf(HasSubstr("namespace shop is labelled secureservice.io/enforcement: strict"),
                               HasSubstr("no SecureService in it selects pod web (labels {app: frontend, tier: web})"),
                               HasSubstr("create a SecureService whose spec.selector matches these labels")));
}

TEST(PodPolicy, StrictNamespaceSaysWhenThePodHasNoLabels) {
  json pod = compliant_pod();
  pod["metadata"].erase("labels");
  const Verdict v = decide(pod, {}, /*strict=*/true);
  EXPECT_EQ(v.reason, "Unidentified");
  EXPECT_THAT(v.message, HasSubstr("selects pod web (no labels)"));
}

TEST(PodPolicy, StrictNamespaceAdmitsASelectedCompliantPod) {
  const Verdict v = decide(compliant_pod(), {service("checkout")}, /*strict=*/true);
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.reason, "Compliant");
}

// Two SecureServices that select one pod (the SecureService webhook refuses overlapping
// selectors, but older objects may overlap): each is checked; Enforce denies, Audit warns.
api::SecureService selecting_checkout(const std::string& name, const std::string& mode) {
  return service(name, mode, [](json& s) { s["spec"]["selector"] = {{"matchLabels", {{"app", "checkout"}}}}; });
}

TEST(PodPolicy, TwoSelectingServicesEnforceDeniesAndAuditWarns) {
  const Verdict v = decide(compliant_pod(), {service("checkout"), selecting_checkout("legacy", "Audit")});
  EXPECT_TRUE(v.allowed) << v.message;
  EXPECT_EQ(v.reason, "Audited");
  ASSERT_THAT(v.warnings, SizeIs(3));  // volume, mount, ServiceAccount of legacy
  EXPECT_THAT(v.warnings, Each(StartsWith("SecureService legacy (Audit): ")));

  const Verdict both = decide(compliant_pod(), {selecting_checkout("legacy", "Enforce"), service("checkout")});
  EXPECT_FALSE(both.allowed);
  EXPECT_EQ(both.reason, "MissingVolume");
  EXPECT_THAT(both.message, HasSubstr("SecureService legacy selects pod web"));
  EXPECT_THAT(both.message, Not(HasSubstr("SecureService checkout")));
}

TEST(PodPolicy, TwoDenyingServicesAreBothNamedInNameOrder) {
  json pod = compliant_pod();
  pod["spec"].erase("volumes");
  const Verdict forward = decide(pod, {service("checkout"), selecting_checkout("legacy", "Enforce")});
  const Verdict backward = decide(pod, {selecting_checkout("legacy", "Enforce"), service("checkout")});
  EXPECT_FALSE(forward.allowed);
  EXPECT_EQ(forward.message, backward.message);
  const size_t checkout = forward.message.find("SecureService checkout selects");
  const size_t legacy = forward.message.find("SecureService legacy selects");
  ASSERT_NE(checkout, std::string::npos);
  ASSERT_NE(legacy, std::string::npos);
  EXPECT_LT(checkout, legacy);
}

TEST(PodPolicy, APodFromGenerateNameIsNamedSo) {
  json pod = compliant_pod();
  pod["metadata"].erase("name");
  pod["metadata"]["generateName"] = "checkout-7d9f8b6c5-";
  pod["spec"]["serviceAccountName"] = "web";
  const Verdict v = decide(pod, {service("checkout")});
  EXPECT_THAT(v.message, HasSubstr("selects pod checkout-7d9f8b6c5-<generated>, which"));
}

TEST(CheckPodIdentity, ListsEveryProblemInCheckOrder) {
  json object = compliant_pod();
  object["spec"].erase("volumes");
  object["spec"]["serviceAccountName"] = "web";
  object["spec"]["initContainers"] = json::array({init_container("setup", false)});
  const auto violations = check_pod_identity(pod_of(object), service("checkout"));
  std::vector<std::string> reasons;
  reasons.reserve(violations.size());
  for (const auto& v : violations) reasons.push_back(v.reason);
  // The init container mounts a volume "tls" that shows no Secret of the service: not its identity.
  EXPECT_EQ(reasons, (std::vector<std::string>{"MissingVolume", "MissingMount", "WrongServiceAccount"}));
}

TEST(CheckPodIdentity, IsEmptyForACompliantPod) {
  EXPECT_THAT(check_pod_identity(pod_of(compliant_pod()), service("checkout")), SizeIs(0));
}

TEST(PodPolicyParse, ReadsEveryKindOfContainer) {
  json object = compliant_pod();
  object["spec"]["initContainers"] =
      json::array({init_container("setup", true), init_container("proxy", true, "Always")});
  object["spec"]["ephemeralContainers"] = json::array({{{"name", "debugger"}}});
  const Pod pod = pod_of(object);
  EXPECT_EQ(pod.name, "web");
  EXPECT_EQ(pod.ns, "shop");
  EXPECT_EQ(pod.labels.at("app"), "checkout");
  EXPECT_EQ(pod.service_account_name, "checkout");
  ASSERT_THAT(pod.volumes, SizeIs(1));
  EXPECT_EQ(pod.volumes[0].secret_names, std::vector<std::string>{"checkout-tls"});
  ASSERT_THAT(pod.containers, SizeIs(4));
  EXPECT_EQ(pod.containers[0].kind, ContainerKind::kRegular);
  EXPECT_EQ(pod.containers[1].kind, ContainerKind::kInit);
  EXPECT_FALSE(pod.containers[1].restart_always);
  EXPECT_TRUE(pod.containers[2].restart_always);
  EXPECT_EQ(pod.containers[3].kind, ContainerKind::kEphemeral);
  ASSERT_THAT(pod.containers[0].mounts, SizeIs(1));
  EXPECT_TRUE(pod.containers[0].mounts[0].read_only);
  EXPECT_EQ(pod.containers[0].mounts[0].mount_path, "/etc/secureservice/tls");
}

TEST(PodPolicyParse, NullAndAbsentFieldsAreEmpty) {
  EXPECT_THAT(parse_pod(json::object()), IsOk());
  const json nulls = json::parse(R"({"metadata": {"labels": null, "name": null},
      "spec": {"volumes": null, "containers": [{"name": "app", "volumeMounts": null}], "initContainers": null}})");
  auto pod = parse_pod(nulls);
  ASSERT_THAT(pod, IsOk());
  EXPECT_EQ(pod->display_name(), "<generated>");
  EXPECT_EQ(pod->effective_service_account(), "default");
}

struct WrongType {
  std::string name;
  std::string json_text;
  std::string field;
};

class ParsePodWrongType : public ::testing::TestWithParam<WrongType> {};

TEST_P(ParsePodWrongType, IsInvalidArgumentNamingTheField) {
  auto pod = parse_pod(json::parse(GetParam().json_text));
  ASSERT_THAT(pod, HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(pod.error().message(), StartsWith(GetParam().field + ": must be "));
}

INSTANTIATE_TEST_SUITE_P(
    PodPolicy, ParsePodWrongType,
    ::testing::Values(
        WrongType{"NotAnObject", R"([1, 2])", "pod"}, WrongType{"Null", R"(null)", "pod"},
        WrongType{"Metadata", R"({"metadata": "web"})", "metadata"},
        WrongType{"Name", R"({"metadata": {"name": 7}})", "metadata.name"},
        WrongType{"LabelValue", R"({"metadata": {"labels": {"app": 1}}})", "metadata.labels[app]"},
        WrongType{"Labels", R"({"metadata": {"labels": ["app"]}})", "metadata.labels"},
        WrongType{"Spec", R"({"spec": []})", "spec"},
        WrongType{"ServiceAccountName", R"({"spec": {"serviceAccountName": true}})", "spec.serviceAccountName"},
        WrongType{"Volumes", R"({"spec": {"volumes": {"name": "tls"}}})", "spec.volumes"},
        WrongType{"VolumeItem", R"({"spec": {"volumes": ["tls"]}})", "spec.volumes[0]"},
        WrongType{"SecretName", R"({"spec": {"volumes": [{"name": "tls", "secret": {"secretName": 1}}]}})",
                  "spec.volumes[0].secret.secretName"},
        WrongType{"ProjectedSources", R"({"spec": {"volumes": [{"name": "tls", "projected": {"sources": 1}}]}})",
                  "spec.volumes[0].projected.sources"},
        WrongType{"ProjectedSecretName",
                  R"({"spec": {"volumes": [{"name": "t", "projected": {"sources": [{"secret": {"name": []}}]}}]}})",
                  "spec.volumes[0].projected.sources[0].secret.name"},
        WrongType{"Containers", R"({"spec": {"containers": "app"}})", "spec.containers"},
        WrongType{"ContainerItem", R"({"spec": {"containers": [null]}})", "spec.containers[0]"},
        WrongType{"InitContainerRestartPolicy", R"({"spec": {"initContainers": [{"name": "p", "restartPolicy": 1}]}})",
                  "spec.initContainers[0].restartPolicy"},
        WrongType{"ReadOnly",
                  R"({"spec": {"containers": [{"name": "app", "volumeMounts": [{"name": "t", "readOnly": "true"}]}]}})",
                  "spec.containers[0].volumeMounts[0].readOnly"},
        WrongType{"MountPath",
                  R"({"spec": {"ephemeralContainers": [{"name": "d", "volumeMounts": [{"mountPath": 5}]}]}})",
                  "spec.ephemeralContainers[0].volumeMounts[0].mountPath"}),
    [](const ::testing::TestParamInfo<WrongType>& info) { return info.param.name; });

TEST(PodPolicyParse, NeverThrowsOnOddJson) {
  for (const char* text : {"1", "\"pod\"", "true", "{}", R"({"metadata": null, "spec": null})",
                           R"({"spec": {"containers": [{}], "volumes": [{}]}})",
                           R"({"spec": {"containers": [{"volumeMounts": [{}, {"readOnly": null}]}]}})",
                           R"({"spec": {"volumes": [{"projected": {"sources": [{}, {"secret": null}]}}]}})"}) {
    EXPECT_NO_THROW({ (void)parse_pod(json::parse(text)); }) << text;
  }
}

}  // namespace
}  // namespace sso::webhook
