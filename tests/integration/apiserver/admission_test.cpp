// Admission webhooks called as kube-apiserver calls them
// (https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/).
#include <gmock/gmock.h>

#include <thread>

#include "base/base64.hpp"
#include "fake_webhook.hpp"
#include "process.hpp"
#include "test_server_fixture.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const json kConfigMapRules = {{{"operations", {"CREATE", "UPDATE", "DELETE"}},
                               {"apiGroups", {""}},
                               {"apiVersions", {"v1"}},
                               {"resources", {"configmaps"}},
                               {"scope", "Namespaced"}}};

// Denies config maps without label `approved`, warns about those labelled `legacy`.
json decide(const json& request) {
  const json object = request["operation"] == "DELETE" ? request["oldObject"] : request["object"];
  const json labels = object["metadata"].value("labels", json::object());
  json response = {{"allowed", labels.contains("approved")}};
  if (!labels.contains("approved")) response["status"] = {{"message", "label approved is missing"}};
  if (labels.contains("legacy")) response["warnings"] = {"legacy config maps go away in v2"};
  if (request["operation"] == "DELETE") response = {{"allowed", !labels.contains("protected")}};
  return response;
}

class Admission : public ApiServerTest {
 protected:
  void SetUp() override {
    ApiServerTest::SetUp();
    auto hook = FakeWebhook::start("webhooks", "checker-" + ns(), decide);
    ASSERT_TRUE(hook.ok()) << hook.error().describe();
    hook_ = std::move(*hook);
    server_->api().admission().map_service("webhooks", "checker-" + ns(), hook_->port());
  }
  void TearDown() override {
    for (const auto& name : configs_) api().del("/apis/admissionregistration.k8s.io/v1/" + name);
  }
  // Installs a configuration whose webhook applies only to this test's namespace.
  void install(const std::string& kind, json webhook) {
    webhook["namespaceSelector"] = {{"matchLabels", {{"kubernetes.io/metadata.name", ns()}}}};
    const std::string resource =
        kind == "Validating" ? "validatingwebhookconfigurations" : "mutatingwebhookconfigurations";
    const std::string name = "cfg-" + ns() + "-" + std::to_string(configs_.size());
    json config = {{"apiVersion", "admissionregistration.k8s.io/v1"},
                   {"kind", kind + "WebhookConfiguration"},
                   {"metadata", {{"name", name}}},
                   {"webhooks", {webhook}}};
    auto r = api().post("/apis/admissionregistration.k8s.io/v1/" + resource, config);
    ASSERT_EQ(r.code, 201) << r.body.dump();
    configs_.push_back(resource + "/" + name);
  }

  std::unique_ptr<FakeWebhook> hook_;
  std::vector<std::string> configs_;
};

TEST_F(Admission, AValidatingWebhookDeniesWithItsMessage) {
  install("Validating", hook_->webhook_entry("checker.example.com", kConfigMapRules));
  auto denied = api().post(ns_path("configmaps"), config_map("a"));
  EXPECT_EQ(denied.code, 400);
  EXPECT_EQ(denied.body["message"],
            "admission webhook \"checker.example.com\" denied the request: label approved is missing");
  EXPECT_EQ(api().get(ns_path("configmaps/a")).code, 404);
  auto admitted = api().post(ns_path("configmaps"), config_map("b", {{"k", "v"}}, {{"approved", "yes"}}));
  EXPECT_EQ(admitted.code, 201) << admitted.body.dump();
}

TEST_F(Admission, TheReviewCarriesWhatKubeApiserverSends) {
  install("Validating", hook_->webhook_entry("checker.example.com", kConfigMapRules));
  ASSERT_EQ(api().post(ns_path("configmaps"), config_map("b", {{"k", "v"}}, {{"approved", "yes"}})).code, 201);
  ASSERT_EQ(api().patch(ns_path("configmaps/b"), R"({"data":{"k":"v2"}})").code, 200);
  ASSERT_EQ(api().del(ns_path("configmaps/b")).code, 200);
  const auto requests = hook_->requests();
  ASSERT_EQ(requests.size(), 3u);
  const json& create = requests[0];
  EXPECT_EQ(create["operation"], "CREATE");
  EXPECT_EQ(create["kind"], json({{"group", ""}, {"version", "v1"}, {"kind", "ConfigMap"}}));
  EXPECT_EQ(create["resource"], json({{"group", ""}, {"version", "v1"}, {"resource", "configmaps"}}));
  EXPECT_EQ(create["namespace"], ns());
  EXPECT_EQ(create["name"], "b");
  EXPECT_EQ(create["userInfo"]["username"], "kubernetes-admin");
  EXPECT_EQ(create["object"]["data"]["k"], "v");
  EXPECT_TRUE(create["oldObject"].is_null());
  EXPECT_EQ(create["options"]["kind"], "CreateOptions");
  EXPECT_EQ(requests[1]["operation"], "UPDATE");
  EXPECT_EQ(requests[1]["oldObject"]["data"]["k"], "v");
  EXPECT_EQ(requests[1]["object"]["data"]["k"], "v2");
  EXPECT_EQ(requests[2]["operation"], "DELETE");
  EXPECT_TRUE(requests[2]["object"].is_null());
  EXPECT_EQ(requests[2]["oldObject"]["metadata"]["name"], "b");
}

TEST_F(Admission, WarningsBecomeWarningHeaders) {
  install("Validating", hook_->webhook_entry("checker.example.com", kConfigMapRules));
  auto r = api().post(ns_path("configmaps"), config_map("w", {{"k", "v"}}, {{"approved", "1"}, {"legacy", "1"}}));
  ASSERT_EQ(r.code, 201);
  EXPECT_THAT(r.headers["Warning"], HasSubstr("legacy config maps go away in v2"));
}

TEST_F(Admission, SelectorsAndRulesChooseWhatIsSent) {
  json webhook = hook_->webhook_entry("checker.example.com", kConfigMapRules);
  webhook["objectSelector"] = {{"matchExpressions", {{{"key", "checked"}, {"operator", "Exists"}}}}};
  install("Validating", webhook);
  EXPECT_EQ(api().post(ns_path("configmaps"), config_map("unchecked")).code, 201) << "objectSelector skips it";
  EXPECT_EQ(api().post(ns_path("configmaps"), config_map("c", {{"k", "v"}}, {{"checked", "1"}})).code, 400);
  EXPECT_EQ(api().post(ns_path("secrets"), {{"metadata", {{"name", "s"}}}}).code, 201) << "rules name configmaps";
  // Another namespace is outside the namespaceSelector.
  ASSERT_EQ(api().post("/api/v1/namespaces", {{"metadata", {{"name", ns() + "-other"}}}}).code, 201);
  EXPECT_EQ(
      api()
          .post("/api/v1/namespaces/" + ns() + "-other/configmaps", config_map("c", {{"k", "v"}}, {{"checked", "1"}}))
          .code,
      201);
}

TEST_F(Admission, FailurePolicyDecidesWhenTheWebhookCannotBeReached) {
  json webhook = hook_->webhook_entry("down.example.com", kConfigMapRules);
  webhook["clientConfig"]["service"]["name"] = "not-mapped";
  install("Validating", webhook);
  auto failed = api().post(ns_path("configmaps"), config_map("a", {{"k", "v"}}, {{"approved", "1"}}));
  EXPECT_EQ(failed.code, 500);
  EXPECT_THAT(failed.body["message"].get<std::string>(), HasSubstr("failed calling webhook \"down.example.com\""));

  TearDown();
  configs_.clear();
  webhook["failurePolicy"] = "Ignore";
  install("Validating", webhook);
  EXPECT_EQ(api().post(ns_path("configmaps"), config_map("a", {{"k", "v"}}, {{"approved", "1"}})).code, 201);
}

TEST_F(Admission, AWrongCaBundleFailsTlsVerification) {
  json webhook = hook_->webhook_entry("checker.example.com", kConfigMapRules);
  webhook["clientConfig"]["caBundle"] = base64_encode(server_->ca_pem());  // some other CA
  install("Validating", webhook);
  auto r = api().post(ns_path("configmaps"), config_map("a", {{"k", "v"}}, {{"approved", "1"}}));
  EXPECT_EQ(r.code, 500);
  EXPECT_THAT(r.body["message"].get<std::string>(), HasSubstr("x509"));
}

TEST_F(Admission, AMutatingWebhookPatchesBeforeValidation) {
  auto mutator = FakeWebhook::start("webhooks", "mutator-" + ns(), [](const json&) {
    const std::string patch = R"([{"op":"add","path":"/metadata/labels","value":{"approved":"by-mutator"}}])";
    return json{{"allowed", true}, {"patchType", "JSONPatch"}, {"patch", base64_encode(patch)}};
  });
  ASSERT_TRUE(mutator.ok());
  server_->api().admission().map_service("webhooks", "mutator-" + ns(), (*mutator)->port());
  install("Mutating", (*mutator)->webhook_entry("mutator.example.com", kConfigMapRules));
  install("Validating", hook_->webhook_entry("checker.example.com", kConfigMapRules));
  auto r = api().post(ns_path("configmaps"), config_map("m"));
  ASSERT_EQ(r.code, 201) << r.body.dump();
  EXPECT_EQ(r.body["metadata"]["labels"]["approved"], "by-mutator");
}

TEST_F(Admission, GenerateNameIsResolvedBetweenMutatingAndValidating) {
  auto mutator = FakeWebhook::start("webhooks", "namer-" + ns(), [](const json&) { return json{{"allowed", true}}; });
  ASSERT_TRUE(mutator.ok());
  server_->api().admission().map_service("webhooks", "namer-" + ns(), (*mutator)->port());
  install("Mutating", (*mutator)->webhook_entry("namer.example.com", kConfigMapRules));
  install("Validating", hook_->webhook_entry("checker.example.com", kConfigMapRules));
  json cm = config_map("", {{"k", "v"}}, {{"approved", "1"}});
  cm["metadata"].erase("name");
  cm["metadata"]["generateName"] = "web-";
  auto created = api().post(ns_path("configmaps"), cm);
  ASSERT_EQ(created.code, 201) << created.body.dump();
  const auto mutating = (*mutator)->requests();
  ASSERT_EQ(mutating.size(), 1u);
  EXPECT_EQ(mutating[0]["name"], "");
  EXPECT_FALSE(mutating[0]["object"]["metadata"].contains("name"));
  const auto validating = hook_->requests();
  ASSERT_EQ(validating.size(), 1u);
  EXPECT_EQ(validating[0]["name"], created.body["metadata"]["name"]);
}

TEST_F(Admission, ASlowWebhookTimesOut) {
  // A webhook that answers after its timeoutSeconds: the call fails and Fail denies the write.
  auto slow = FakeWebhook::start("webhooks", "slow-" + ns(), [](const json&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    return json{{"allowed", true}};
  });
  ASSERT_TRUE(slow.ok());
  server_->api().admission().map_service("webhooks", "slow-" + ns(), (*slow)->port());
  json webhook = (*slow)->webhook_entry("slow.example.com", kConfigMapRules);
  webhook["timeoutSeconds"] = 1;
  install("Validating", webhook);
  const auto start = std::chrono::steady_clock::now();
  auto r = api().post(ns_path("configmaps"), config_map("a"));
  EXPECT_EQ(r.code, 500);
  EXPECT_THAT(r.body["message"].get<std::string>(), HasSubstr("deadline exceeded"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2400));
}

TEST_F(Admission, KubectlShowsTheDenial) {
  install("Validating", hook_->webhook_entry("checker.example.com", kConfigMapRules));
  TempDir dir;
  const std::string kubeconfig = dir.file("kubeconfig");
  server_->admin_kubeconfig(kubeconfig);
  auto r = run_process({SSO_KUBECTL_BIN, "--kubeconfig", kubeconfig, "create", "configmap", "x", "-n", ns()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err,
              HasSubstr("admission webhook \"checker.example.com\" denied the request: label approved is missing"));
}

}  // namespace
}  // namespace sso::testing
