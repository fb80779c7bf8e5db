// RBAC over HTTP: bearer tokens of service accounts against Roles, ClusterRoles and their
// bindings written through the API, answered as kube-apiserver answers (403 Status with its
// message and details), and `kubectl auth can-i`, a client nobody here wrote, through
// SelfSubjectAccessReviews; TokenReviews and SubjectAccessReviews through kubectl create.
#include <gmock/gmock.h>

#include "process.hpp"
#include "test_server_fixture.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class Rbac : public ApiServerTest {
 protected:
  void SetUp() override {
    ApiServerTest::SetUp();
    kubeconfig_ = dir_.file("kubeconfig");
    server_->admin_kubeconfig(kubeconfig_);
  }
  // A client with a new token of the service account NAME in this test's namespace.
  std::unique_ptr<ApiTestClient> service_account(const std::string& name) {
    return std::make_unique<ApiTestClient>(server_->url(), server_->ca_pem(),
                                           server_->service_account_token(ns(), name));
  }
  std::string user(const std::string& sa) const { return "system:serviceaccount:" + ns() + ":" + sa; }

  void create(const std::string& path, json object) {
    const auto r = api().post(path, object);
    ASSERT_EQ(r.code, 201) << r.body.dump();
  }
  static json rule(std::vector<std::string> groups, std::vector<std::string> resources, std::vector<std::string> verbs,
                   std::vector<std::string> names = {}) {
    json r = {{"apiGroups", groups}, {"resources", resources}, {"verbs", verbs}};
    if (!names.empty()) r["resourceNames"] = names;
    return r;
  }
  void role(const std::string& name, json rules) {
    create("/apis/rbac.authorization.k8s.io/v1/namespaces/" + ns() + "/roles",
           {{"metadata", {{"name", name}}}, {"rules", rules}});
  }
  void cluster_role(const std::string& name, json rules) {
    create("/apis/rbac.authorization.k8s.io/v1/clusterroles", {{"metadata", {{"name", name}}}, {"rules", rules}});
  }
  void role_binding(const std::string& name, const std::string& role_kind, const std::string& role, json subject) {
    create("/apis/rbac.authorization.k8s.io/v1/namespaces/" + ns() + "/rolebindings",
           {{"metadata", {{"name", name}}},
            {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", role_kind}, {"name", role}}},
            {"subjects", {subject}}});
  }
  void cluster_role_binding(const std::string& name, const std::string& role, json subject) {
    create("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
           {{"metadata", {{"name", name}}},
            {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", role}}},
            {"subjects", {subject}}});
  }
  json sa_subject(const std::string& name) const {
    return {{"kind", "ServiceAccount"}, {"name", name}, {"namespace", ns()}};
  }
  TempDir dir_;
  std::string kubeconfig_;
};

TEST_F(Rbac, AServiceAccountWithoutBindingsIsForbiddenWithKubeApiserversStatus) {
  auto sa = service_account("nobody");
  ASSERT_EQ(api().post(ns_path("secrets"), {{"metadata", {{"name", "x"}}}}).code, 201);
  const auto get = sa->get(ns_path("secrets/x"));
  EXPECT_EQ(get.code, 403);
  EXPECT_EQ(get.reason(), "Forbidden");
  EXPECT_EQ(get.body["kind"], "Status");
  EXPECT_EQ(get.body["status"], "Failure");
  EXPECT_EQ(get.body["message"], "secrets \"x\" is forbidden: User \"" + user("nobody") +
                                     "\" cannot get resource \"secrets\" in API group \"\" in the namespace \"" + ns() +
                                     "\"");
  EXPECT_EQ(get.body["details"], json({{"name", "x"}, {"kind", "secrets"}}));

  const auto cluster = sa->get("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations");
  EXPECT_EQ(cluster.code, 403);
  EXPECT_EQ(cluster.body["message"],
            "validatingwebhookconfigurations.admissionregistration.k8s.io is forbidden: User \"" + user("nobody") +
                "\" cannot list resource \"validatingwebhookconfigurations\" in API group "
                "\"admissionregistration.k8s.io\" at the cluster scope");
  const auto ns_get = sa->get("/api/v1/namespaces/" + ns());
  EXPECT_EQ(ns_get.body["message"], "namespaces \"" + ns() + "\" is forbidden: User \"" + user("nobody") +
                                        "\" cannot get resource \"namespaces\" in API group \"\" in the namespace \"" +
                                        ns() + "\"")
      << "a namespace's own URL is in that namespace";

  // Discovery is every authenticated user's (system:discovery).
  EXPECT_EQ(sa->get("/api").code, 200);
  EXPECT_EQ(sa->get("/apis/rbac.authorization.k8s.io/v1").code, 200);
  EXPECT_EQ(sa->get("/openapi/v3").code, 200);
  const auto path = sa->get("/logs");
  EXPECT_EQ(path.code, 403);
  EXPECT_EQ(path.body["message"], "forbidden: User \"" + user("nobody") + "\" cannot get path \"/logs\"");

  // Denials are in the request log, with the user and the 403.
  bool logged = false;
  for (const auto& r : server_->api().request_log().snapshot())
    logged |= r.user == user("nobody") && r.verb == "get" && r.resource == "secrets" && r.name == "x" && r.code == 403;
  EXPECT_TRUE(logged);
}

TEST_F(Rbac, ARoleBindingGrantsItsRoleInItsNamespaceOnly) {
  role("cm-reader", {rule({""}, {"configmaps"}, {"get", "list"})});
  role_binding("cm-reader", "Role", "cm-reader", sa_subject("reader"));
  ASSERT_EQ(api().post(ns_path("configmaps"), config_map("a")).code, 201);
  auto sa = service_account("reader");
  EXPECT_EQ(sa->get(ns_path("configmaps/a")).code, 200);
  EXPECT_EQ(sa->get(ns_path("configmaps")).code, 200);
  EXPECT_EQ(sa->get("/api/v1/configmaps").code, 403) << "no list across namespaces";
  EXPECT_EQ(sa->get("/api/v1/namespaces/default/configmaps").code, 403);
  EXPECT_EQ(sa->post(ns_path("configmaps"), config_map("b")).code, 403) << "no verb it was not given";
  EXPECT_EQ(sa->get(ns_path("secrets")).code, 403) << "no resource it was not given";
  EXPECT_EQ(service_account("other")->get(ns_path("configmaps/a")).code, 403) << "no other account";
}

TEST_F(Rbac, BindingsBySubjectKindUserGroupAndServiceAccount) {
  cluster_role(ns() + "-pods", {rule({""}, {"pods"}, {"list"})});
  // User: the service account's user name; Group: every service account of the namespace.
  role_binding("by-user", "ClusterRole", ns() + "-pods", {{"kind", "User"}, {"name", user("u")}});
  EXPECT_EQ(service_account("u")->get(ns_path("pods")).code, 200);
  EXPECT_EQ(service_account("g")->get(ns_path("pods")).code, 403);
  role_binding("by-group", "ClusterRole", ns() + "-pods",
               {{"kind", "Group"}, {"name", "system:serviceaccounts:" + ns()}});
  EXPECT_EQ(service_account("g")->get(ns_path("pods")).code, 200);
  // A ServiceAccount subject without a namespace in a RoleBinding: the binding's namespace.
  cluster_role(ns() + "-svc", {rule({""}, {"services"}, {"list"})});
  role_binding("by-sa", "ClusterRole", ns() + "-svc", {{"kind", "ServiceAccount"}, {"name", "s"}});
  EXPECT_EQ(service_account("s")->get(ns_path("services")).code, 200);
  EXPECT_EQ(service_account("u")->get(ns_path("services")).code, 403);
}

TEST_F(Rbac, AClusterRoleBindingGrantsEverywhereAndRemovingItTakesItBack) {
  cluster_role(ns() + "-np", {rule({"networking.k8s.io"}, {"networkpolicies"}, {"list", "watch"})});
  auto sa = service_account("np");
  EXPECT_EQ(sa->get("/apis/networking.k8s.io/v1/networkpolicies").code, 403);
  cluster_role_binding(ns() + "-np", ns() + "-np", sa_subject("np"));
  EXPECT_EQ(sa->get("/apis/networking.k8s.io/v1/networkpolicies").code, 200);
  EXPECT_EQ(sa->get("/apis/networking.k8s.io/v1/namespaces/default/networkpolicies").code, 200);
  bool ended = false;
  sa->watch(
      "/apis/networking.k8s.io/v1/networkpolicies?watch=true&timeoutSeconds=1", [](const auto&) { return false; },
      std::chrono::seconds(3), {}, &ended);
  EXPECT_TRUE(ended) << "the watch was served until its timeout";
  ASSERT_EQ(api().del("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/" + ns() + "-np").code, 200);
  EXPECT_EQ(sa->get("/apis/networking.k8s.io/v1/networkpolicies").code, 403);
}

TEST_F(Rbac, ResourceNamesRestrictGetsUpdatesAndListsByMetadataName) {
  role("one-secret",
       {rule({""}, {"secrets"}, {"get", "list", "watch", "update"}, {"ca"}), rule({""}, {"secrets"}, {"create"})});
  role_binding("one-secret", "Role", "one-secret", sa_subject("op"));
  auto sa = service_account("op");
  // A create names nothing when it is authorized: resourceNames cannot restrict it.
  ASSERT_EQ(sa->post(ns_path("secrets"), {{"metadata", {{"name", "ca"}}}}).code, 201);
  ASSERT_EQ(sa->post(ns_path("secrets"), {{"metadata", {{"name", "other"}}}}).code, 201);
  EXPECT_EQ(sa->get(ns_path("secrets/ca")).code, 200);
  const auto other = sa->get(ns_path("secrets/other"));
  EXPECT_EQ(other.code, 403);
  EXPECT_EQ(other.body["details"]["name"], "other");
  auto ca = sa->get(ns_path("secrets/ca")).body;
  ca["data"] = {{"k", "dg=="}};
  EXPECT_EQ(sa->put(ns_path("secrets/ca"), ca).code, 200);
  // A list or watch is a request for NAME when its field selector asks for metadata.name=NAME.
  EXPECT_EQ(sa->get(ns_path("secrets")).code, 403);
  const auto by_name = sa->get(ns_path("secrets?fieldSelector=metadata.name%3Dca"));
  EXPECT_EQ(by_name.code, 200);
  EXPECT_EQ(by_name.body["items"].size(), 1u);
  EXPECT_EQ(sa->get(ns_path("secrets?fieldSelector=metadata.name%3Dother")).code, 403);
  bool ended = false;
  sa->watch(
      ns_path("secrets?watch=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dca"),
      [](const auto&) { return false; }, std::chrono::seconds(3), {}, &ended);
  EXPECT_TRUE(ended);
  EXPECT_EQ(sa->del(ns_path("secrets/ca")).code, 403);
}

TEST_F(Rbac, SubresourcesAreGrantedApartFromTheirResource) {
  const std::string group = ns() + ".rbac.example.com";
  ASSERT_EQ(api()
                .post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                      crd(group, "widgets", "Widget", "Namespaced"))
                .code,
            201);
  const std::string widgets = "/apis/" + group + "/v1/namespaces/" + ns() + "/widgets";
  ASSERT_TRUE(eventually([&] { return api().get(widgets).code == 200; }));
  ASSERT_EQ(
      api().post(widgets, {{"apiVersion", group + "/v1"}, {"kind", "Widget"}, {"metadata", {{"name", "w"}}}}).code,
      201);
  role("status-writer", {rule({group}, {"widgets/status"}, {"update"}), rule({group}, {"widgets"}, {"get"})});
  role_binding("status-writer", "Role", "status-writer", sa_subject("ctl"));
  auto sa = service_account("ctl");
  json w = sa->get(widgets + "/w").body;
  ASSERT_TRUE(w.is_object() && w.contains("metadata")) << w.dump();
  w["status"] = {{"ready", true}};
  EXPECT_EQ(sa->put(widgets + "/w/status", w).code, 200);
  const auto main = sa->put(widgets + "/w", w);
  EXPECT_EQ(main.code, 403);
  const auto patch = sa->patch(widgets + "/w/status", R"({"status":{"ready":false}})");
  EXPECT_EQ(patch.code, 403);
  EXPECT_EQ(patch.body["message"], "widgets." + group + " \"w\" is forbidden: User \"" + user("ctl") +
                                       "\" cannot patch resource \"widgets/status\" in API group \"" + group +
                                       "\" in the namespace \"" + ns() + "\"");
  EXPECT_EQ(patch.body["details"], json({{"name", "w"}, {"group", group}, {"kind", "widgets"}}));
  // A resource the server does not serve is a 404 only to who may ask for it.
  EXPECT_EQ(sa->get("/apis/" + group + "/v1/namespaces/" + ns() + "/gadgets").code, 403);
  EXPECT_EQ(api().get("/apis/" + group + "/v1/namespaces/" + ns() + "/gadgets").code, 404);
}

TEST_F(Rbac, ABindingToAMissingRoleSaysSoInTheDenial) {
  role_binding("dangling", "Role", "not-there", sa_subject("d"));
  const auto r = service_account("d")->get(ns_path("configmaps"));
  EXPECT_EQ(r.code, 403);
  EXPECT_EQ(r.body["message"], "configmaps is forbidden: User \"" + user("d") +
                                   "\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"" +
                                   ns() + "\": RBAC: role.rbac.authorization.k8s.io \"not-there\" not found");
}

// plugin/pkg/admission/gc: blockOwnerDeletion needs update on the owner's finalizers, and
// changing an existing object's owners needs delete on it.
TEST_F(Rbac, OwnerReferencesPermissionEnforcementAsksForFinalizersAndDelete) {
  server_->api().set_owner_references_permission_enforcement(true);
  ASSERT_EQ(api().post(ns_path("configmaps"), config_map("owner")).code, 201);
  const std::string uid = api().get(ns_path("configmaps/owner")).body["metadata"].value("uid", "");
  role("writer", {rule({""}, {"secrets"}, {"create", "get", "update"})});
  role_binding("writer", "Role", "writer", sa_subject("gc"));
  auto sa = service_account("gc");
  auto owned = [&](const std::string& name, bool block) {
    return json{{"metadata",
                 {{"name", name},
                  {"ownerReferences",
                   {{{"apiVersion", "v1"},
                     {"kind", "ConfigMap"},
                     {"name", "owner"},
                     {"uid", uid},
                     {"blockOwnerDeletion", block}}}}}}};
  };
  EXPECT_EQ(sa->post(ns_path("secrets"), owned("free", false)).code, 201) << "a creator may set owners";
  const auto refused = sa->post(ns_path("secrets"), owned("blocking", true));
  EXPECT_EQ(refused.code, 403);
  EXPECT_EQ(refused.body["message"],
            "secrets \"blocking\" is forbidden: cannot set blockOwnerDeletion if an ownerReference refers to a "
            "resource you can't set finalizers on: , <nil>");
  role("finalizers", {rule({""}, {"configmaps/finalizers"}, {"update"}, {"owner"})});
  role_binding("finalizers", "Role", "finalizers", sa_subject("gc"));
  EXPECT_EQ(sa->post(ns_path("secrets"), owned("blocking", true)).code, 201);
  // Changing the owners of an existing object: delete on it.
  json plain = sa->get(ns_path("secrets/free")).body;
  plain["metadata"].erase("ownerReferences");
  const auto disowned = sa->put(ns_path("secrets/free"), plain);
  EXPECT_EQ(disowned.code, 403);
  EXPECT_EQ(disowned.body["message"],
            "secrets \"free\" is forbidden: cannot set an ownerRef on a resource you can't delete: , <nil>");
  server_->api().set_owner_references_permission_enforcement(false);
  EXPECT_EQ(sa->put(ns_path("secrets/free"), plain).code, 200) << "the plugin is off by default, as in kube-apiserver";
}

TEST_F(Rbac, KubectlAuthCanIAsksTheServer) {
  role("lease", {rule({"coordination.k8s.io"}, {"leases"}, {"get", "update"}, {"leader"})});
  role_binding("lease", "Role", "lease", sa_subject("elector"));
  const std::string config = dir_.file("sa-kubeconfig");
  server_->service_account_kubeconfig(ns(), "elector", config);
  auto can_i = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {SSO_KUBECTL_BIN, "--kubeconfig", config, "auth", "can-i", "-n", ns()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
  };
  const auto yes = can_i({"update", "leases.coordination.k8s.io/leader"});
  EXPECT_EQ(yes.exit_code, 0) << yes.err;
  EXPECT_EQ(yes.out, "yes\n");
  const auto other = can_i({"update", "leases.coordination.k8s.io/follower"});
  EXPECT_EQ(other.exit_code, 1) << other.err;
  EXPECT_EQ(other.out, "no\n");
  EXPECT_EQ(can_i({"create", "leases.coordination.k8s.io"}).out, "no\n");
  EXPECT_EQ(can_i({"get", "/api"}).out, "yes\n") << "a non-resource URL: system:discovery";
  // The admin, in system:masters, may do anything.
  const auto admin =
      run_process({SSO_KUBECTL_BIN, "--kubeconfig", kubeconfig_, "auth", "can-i", "delete", "namespaces"});
  EXPECT_EQ(admin.out, "yes\n") << admin.err;
}

// What a metrics endpoint asks (controller-runtime's WithAuthenticationAndAuthorization): who
// a bearer token is, and whether that user may get a non-resource URL. Asked with kubectl
// create -f, as an operator's own client would POST them.
TEST_F(Rbac, TokenReviewsAndSubjectAccessReviewsAnswerForOthers) {
  cluster_role("metrics-reader-" + ns(), json::array({{{"nonResourceURLs", {"/metrics"}}, {"verbs", {"get"}}}}));
  cluster_role_binding("scraper-" + ns(), "metrics-reader-" + ns(), sa_subject("scraper"));
  const std::string token = server_->service_account_token(ns(), "scraper");
  auto create = [&](const json& review) {
    const std::string file = dir_.write("review.json", review.dump());
    const auto r = run_process({SSO_KUBECTL_BIN, "--kubeconfig", kubeconfig_, "create", "-f", file, "-o", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  };
  const json known =
      create({{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "TokenReview"}, {"spec", {{"token", token}}}});
  ASSERT_TRUE(known.is_object());
  EXPECT_EQ(known["status"]["authenticated"], true);
  EXPECT_EQ(known["status"]["user"]["username"], user("scraper"));
  EXPECT_THAT(known["status"]["user"]["groups"].get<std::vector<std::string>>(),
              ::testing::Contains("system:serviceaccounts:" + ns()));
  const json unknown = create(
      {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "TokenReview"}, {"spec", {{"token", "not-a-token"}}}});
  EXPECT_EQ(unknown["status"]["authenticated"], false);
  EXPECT_FALSE(unknown["status"].contains("user"));

  auto may_get = [&](const std::string& name, const std::vector<std::string>& groups, const std::string& path) {
    const json review = create(
        {{"apiVersion", "authorization.k8s.io/v1"},
         {"kind", "SubjectAccessReview"},
         {"spec", {{"user", name}, {"groups", groups}, {"nonResourceAttributes", {{"path", path}, {"verb", "get"}}}}}});
    return review.is_object() && review["status"].value("allowed", false);
  };
  const std::vector<std::string> groups = {"system:serviceaccounts", "system:serviceaccounts:" + ns(),
                                           "system:authenticated"};
  EXPECT_TRUE(may_get(user("scraper"), groups, "/metrics"));
  EXPECT_FALSE(may_get(user("other"), groups, "/metrics"));
  EXPECT_FALSE(may_get(user("scraper"), groups, "/debug/pprof"));

  // Neither user nor groups: refused as kube-apiserver's validation does.
  const auto empty = api().post("/apis/authorization.k8s.io/v1/subjectaccessreviews",
                                {{"spec", {{"nonResourceAttributes", {{"path", "/metrics"}, {"verb", "get"}}}}}});
  EXPECT_EQ(empty.code, 422);
  EXPECT_THAT(empty.body.value("message", ""), HasSubstr("at least one of user or group must be specified"));
  // Reviewing others is not for everyone: the bootstrap policy gives it to no one by default.
  const auto sa = service_account("nobody");
  EXPECT_EQ(sa->post("/apis/authentication.k8s.io/v1/tokenreviews", {{"spec", {{"token", token}}}}).code, 403);
  EXPECT_EQ(sa->post("/apis/authorization.k8s.io/v1/subjectaccessreviews",
                     {{"spec", {{"user", "u"}, {"nonResourceAttributes", {{"path", "/metrics"}, {"verb", "get"}}}}}})
                .code,
            403);
}

}  // namespace
}  // namespace sso::testing
