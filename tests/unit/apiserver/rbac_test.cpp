// The API test server's RBAC rule matching, as pkg/apis/rbac/v1/evaluation_helpers.go and
// plugin/pkg/auth/authorizer/rbac/rbac.go decide (their rbac_test.go and
// evaluation_helpers_test.go cases where they apply), and the 403 kube-apiserver sends.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apiserver/rbac_authorizer.hpp"

namespace sso::apiserver {
namespace {

using nlohmann::json;

PolicyRule rule(json r) { return PolicyRule::from_json(r); }

AuthorizationAttributes request(std::string verb, std::string group, std::string resource, std::string ns = "",
                                std::string name = "", std::string subresource = "") {
  AuthorizationAttributes a;
  a.user = {"system:serviceaccount:ops:operator", {"system:serviceaccounts", "system:authenticated"}};
  a.verb = std::move(verb);
  a.group = std::move(group);
  a.resource = std::move(resource);
  a.ns = std::move(ns);
  a.name = std::move(name);
  a.subresource = std::move(subresource);
  return a;
}

TEST(RbacRuleMatching, VerbsMatchExactlyOrByStar) {
  EXPECT_TRUE(verb_matches(rule({{"verbs", {"get", "list"}}}), "list"));
  EXPECT_FALSE(verb_matches(rule({{"verbs", {"get", "list"}}}), "watch"));
  EXPECT_TRUE(verb_matches(rule({{"verbs", {"*"}}}), "deletecollection"));
  EXPECT_FALSE(verb_matches(rule({{"verbs", json::array()}}), "get")) << "no verbs: nothing";
  EXPECT_FALSE(verb_matches(rule({{"verbs", {"Get"}}}), "get")) << "verbs are case-sensitive";
}

TEST(RbacRuleMatching, ApiGroupsMatchExactlyOrByStarAndCoreIsTheEmptyGroup) {
  EXPECT_TRUE(api_group_matches(rule({{"apiGroups", {""}}}), ""));
  EXPECT_FALSE(api_group_matches(rule({{"apiGroups", {""}}}), "apps"));
  EXPECT_FALSE(api_group_matches(rule({{"apiGroups", {"apps"}}}), ""));
  EXPECT_TRUE(api_group_matches(rule({{"apiGroups", {"*"}}}), "secureservice.io"));
  EXPECT_FALSE(api_group_matches(rule({{"apiGroups", {"secureservice"}}}), "secureservice.io"));
}

TEST(RbacRuleMatching, ResourcesMatchWithSubresourcesAndStarForms) {
  const PolicyRule plain = rule({{"resources", {"secureservices"}}});
  EXPECT_TRUE(resource_matches(plain, "secureservices", ""));
  EXPECT_FALSE(resource_matches(plain, "secureservices/status", "status")) << "a resource grants no subresource";
  const PolicyRule status = rule({{"resources", {"secureservices/status"}}});
  EXPECT_TRUE(resource_matches(status, "secureservices/status", "status"));
  EXPECT_FALSE(resource_matches(status, "secureservices", "")) << "a subresource grants not its resource";
  EXPECT_FALSE(resource_matches(status, "secureservices/finalizers", "finalizers"));
  const PolicyRule any_status = rule({{"resources", {"*/status"}}});
  EXPECT_TRUE(resource_matches(any_status, "deployments/status", "status"));
  EXPECT_FALSE(resource_matches(any_status, "deployments", ""));
  EXPECT_FALSE(resource_matches(any_status, "deployments/scale", "scale"));
  EXPECT_FALSE(resource_matches(rule({{"resources", {"*/statuses"}}}), "deployments/status", "status"))
      << "the suffix must be the whole subresource";
  EXPECT_TRUE(resource_matches(rule({{"resources", {"*"}}}), "pods/log", "log")) << "* is every subresource too";
  EXPECT_FALSE(resource_matches(rule({{"resources", {"pods/*"}}}), "pods/log", "log"))
      << "resource/* is no wildcard in RBAC";
}

TEST(RbacRuleMatching, ResourceNamesRestrictOnlyWhenSet) {
  EXPECT_TRUE(resource_name_matches(rule(json::object()), "anything"));
  EXPECT_TRUE(resource_name_matches(rule(json::object()), ""));
  EXPECT_TRUE(resource_name_matches(rule({{"resourceNames", {"ca", "tls"}}}), "tls"));
  EXPECT_FALSE(resource_name_matches(rule({{"resourceNames", {"ca", "tls"}}}), "other"));
  EXPECT_FALSE(resource_name_matches(rule({{"resourceNames", {"ca"}}}), "")) << "a create or a list names nothing";
}

TEST(RbacRuleMatching, NonResourceUrlsMatchExactlyOrByTrailingStar) {
  const PolicyRule r = rule({{"nonResourceURLs", {"/healthz", "/apis/*", "/metrics*"}}});
  EXPECT_TRUE(non_resource_url_matches(r, "/healthz"));
  EXPECT_FALSE(non_resource_url_matches(r, "/healthz/etcd"));
  EXPECT_TRUE(non_resource_url_matches(r, "/apis/apps/v1"));
  EXPECT_FALSE(non_resource_url_matches(r, "/apis")) << "the prefix keeps its slash";
  EXPECT_TRUE(non_resource_url_matches(r, "/metrics/slis"));
  EXPECT_TRUE(non_resource_url_matches(rule({{"nonResourceURLs", {"*"}}}), "/anything"));
}

TEST(RbacRuleMatching, RuleAllowsWhenVerbGroupResourceAndNameAllMatch) {
  const PolicyRule lease = rule({{"apiGroups", {"coordination.k8s.io"}},
                                 {"resources", {"leases"}},
                                 {"resourceNames", {"secureservice-operator"}},
                                 {"verbs", {"get", "update"}}});
  EXPECT_TRUE(rule_allows(request("get", "coordination.k8s.io", "leases", "ops", "secureservice-operator"), lease));
  EXPECT_FALSE(rule_allows(request("get", "coordination.k8s.io", "leases", "ops", "other"), lease));
  EXPECT_FALSE(rule_allows(request("create", "coordination.k8s.io", "leases", "ops", ""), lease));
  EXPECT_FALSE(rule_allows(request("get", "", "leases", "ops", "secureservice-operator"), lease));
  auto non_resource = request("get", "", "");
  non_resource.resource_request = false;
  non_resource.path = "/healthz";
  EXPECT_FALSE(rule_allows(non_resource, lease)) << "a resource rule grants no path";
  EXPECT_TRUE(rule_allows(non_resource, rule({{"verbs", {"get"}}, {"nonResourceURLs", {"/healthz"}}})));
}

TEST(RbacSubjects, UsersGroupsAndServiceAccountsApply) {
  const UserInfo sa{"system:serviceaccount:ops:operator",
                    {"system:serviceaccounts", "system:serviceaccounts:ops", "system:authenticated"}};
  EXPECT_TRUE(subject_applies({{"kind", "User"}, {"name", "system:serviceaccount:ops:operator"}}, sa, ""));
  EXPECT_FALSE(subject_applies({{"kind", "User"}, {"name", "operator"}}, sa, ""));
  EXPECT_TRUE(subject_applies({{"kind", "Group"}, {"name", "system:serviceaccounts:ops"}}, sa, ""));
  EXPECT_FALSE(subject_applies({{"kind", "Group"}, {"name", "system:masters"}}, sa, ""));
  EXPECT_TRUE(subject_applies({{"kind", "ServiceAccount"}, {"name", "operator"}, {"namespace", "ops"}}, sa, ""));
  EXPECT_FALSE(subject_applies({{"kind", "ServiceAccount"}, {"name", "operator"}, {"namespace", "shop"}}, sa, "ops"));
  // A RoleBinding's ServiceAccount without a namespace is one of the binding's namespace; a
  // ClusterRoleBinding's is nobody.
  EXPECT_TRUE(subject_applies({{"kind", "ServiceAccount"}, {"name", "operator"}}, sa, "ops"));
  EXPECT_FALSE(subject_applies({{"kind", "ServiceAccount"}, {"name", "operator"}}, sa, "shop"));
  EXPECT_FALSE(subject_applies({{"kind", "ServiceAccount"}, {"name", "operator"}}, sa, ""));
  EXPECT_FALSE(subject_applies({{"kind", "Robot"}, {"name", "operator"}}, sa, "ops"));
}

TEST(RbacRequestInfo, ListsAndWatchesByMetadataNameNameTheirObject) {
  EXPECT_EQ(name_from_field_selector("metadata.name=secureservice-operator"), "secureservice-operator");
  EXPECT_EQ(name_from_field_selector("metadata.namespace=ops,metadata.name==ca"), "ca");
  EXPECT_EQ(name_from_field_selector("metadata.name!=ca"), "");
  EXPECT_EQ(name_from_field_selector("spec.nodeName=n1"), "");
  EXPECT_EQ(name_from_field_selector(""), "");
  EXPECT_EQ(name_from_field_selector("metadata.name=a/b"), "") << "not a valid path segment name";
}

TEST(RbacForbidden, MessagesAreKubeApiserversForEachScope) {
  auto namespaced = forbidden_response(request("get", "", "secrets", "shop", "x"), "");
  EXPECT_EQ(namespaced.code, 403);
  EXPECT_EQ(namespaced.body["reason"], "Forbidden");
  EXPECT_EQ(namespaced.body["message"],
            "secrets \"x\" is forbidden: User \"system:serviceaccount:ops:operator\" cannot get resource \"secrets\" "
            "in API group \"\" in the namespace \"shop\"");
  EXPECT_EQ(namespaced.body["details"], json({{"name", "x"}, {"kind", "secrets"}}));

  auto cluster =
      forbidden_response(request("list", "admissionregistration.k8s.io", "validatingwebhookconfigurations"), "");
  EXPECT_EQ(cluster.body["message"],
            "validatingwebhookconfigurations.admissionregistration.k8s.io is forbidden: User "
            "\"system:serviceaccount:ops:operator\" cannot list resource \"validatingwebhookconfigurations\" in API "
            "group \"admissionregistration.k8s.io\" at the cluster scope");
  EXPECT_EQ(cluster.body["details"],
            json({{"group", "admissionregistration.k8s.io"}, {"kind", "validatingwebhookconfigurations"}}));

  auto status = forbidden_response(request("update", "secureservice.io", "secureservices", "shop", "pay", "status"),
                                   "RBAC: clusterrole.rbac.authorization.k8s.io \"gone\" not found");
  EXPECT_EQ(status.body["message"],
            "secureservices.secureservice.io \"pay\" is forbidden: User \"system:serviceaccount:ops:operator\" cannot "
            "update resource \"secureservices/status\" in API group \"secureservice.io\" in the namespace \"shop\": "
            "RBAC: clusterrole.rbac.authorization.k8s.io \"gone\" not found");

  auto path = request("get", "", "");
  path.resource_request = false;
  path.path = "/metrics";
  EXPECT_EQ(forbidden_response(path, "").body["message"],
            "forbidden: User \"system:serviceaccount:ops:operator\" cannot get path \"/metrics\"");
}

// The authorizer over a store: bindings read at request time.
class RbacAuthorizerTest : public ::testing::Test {
 protected:
  void put(const std::string& resource, const std::string& ns, const std::string& name, json body) {
    body["metadata"] = {{"name", name}};
    if (!ns.empty()) body["metadata"]["namespace"] = ns;
    auto txn = store_.begin();
    txn.put({"rbac.authorization.k8s.io", resource, ns, name}, body);
  }
  void remove(const std::string& resource, const std::string& ns, const std::string& name) {
    auto txn = store_.begin();
    txn.remove({"rbac.authorization.k8s.io", resource, ns, name});
  }
  bool allowed(const AuthorizationAttributes& a) { return authorizer_.authorize(a).allowed; }

  ObjectStore store_;
  RbacAuthorizer authorizer_{store_};
};

TEST_F(RbacAuthorizerTest, NothingIsAllowedWithoutABindingButMastersAreAllowedEverything) {
  EXPECT_FALSE(allowed(request("get", "", "secrets", "shop", "x")));
  auto admin = request("delete", "", "namespaces", "", "kube-system");
  admin.user = {"kubernetes-admin", {"system:masters", "system:authenticated"}};
  EXPECT_TRUE(allowed(admin));
}

TEST_F(RbacAuthorizerTest, EveryAuthenticatedUserMayDiscoverAndReviewItsOwnAccess) {
  auto path = request("get", "", "");
  path.resource_request = false;
  for (const char* p : {"/api", "/apis/apps/v1", "/openapi/v3", "/version", "/healthz"}) {
    path.path = p;
    EXPECT_TRUE(allowed(path)) << p;
  }
  path.path = "/metrics";
  EXPECT_FALSE(allowed(path));
  path.path = "/api";
  path.verb = "post";
  EXPECT_FALSE(allowed(path));
  EXPECT_TRUE(allowed(request("create", "authorization.k8s.io", "selfsubjectaccessreviews")));
  EXPECT_FALSE(allowed(request("create", "authorization.k8s.io", "subjectaccessreviews")));
  auto anonymous = request("create", "authorization.k8s.io", "selfsubjectaccessreviews");
  anonymous.user.groups = {};
  EXPECT_FALSE(allowed(anonymous));
}

TEST_F(RbacAuthorizerTest, ARoleBindingGrantsInItsNamespaceOnlyAndAClusterRoleBindingEverywhere) {
  put("roles", "shop", "reader", {{"rules", {{{"apiGroups", {""}}, {"resources", {"secrets"}}, {"verbs", {"get"}}}}}});
  put("rolebindings", "shop", "reader",
      {{"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", "reader"}}},
       {"subjects", {{{"kind", "ServiceAccount"}, {"name", "operator"}, {"namespace", "ops"}}}}});
  EXPECT_TRUE(allowed(request("get", "", "secrets", "shop", "x")));
  EXPECT_FALSE(allowed(request("get", "", "secrets", "bank", "x")));
  EXPECT_FALSE(allowed(request("list", "", "secrets", "", ""))) << "a RoleBinding grants nothing cluster-wide";

  put("clusterroles", "", "np",
      {{"rules",
        {{{"apiGroups", {"networking.k8s.io"}}, {"resources", {"networkpolicies"}}, {"verbs", {"list", "watch"}}}}}});
  put("clusterrolebindings", "", "np",
      {{"roleRef", {{"kind", "ClusterRole"}, {"name", "np"}}},
       {"subjects", {{{"kind", "Group"}, {"name", "system:serviceaccounts"}}}}});
  EXPECT_TRUE(allowed(request("list", "networking.k8s.io", "networkpolicies", "", "")));
  EXPECT_TRUE(allowed(request("watch", "networking.k8s.io", "networkpolicies", "bank", "")));
  EXPECT_EQ(authorizer_.authorize(request("watch", "networking.k8s.io", "networkpolicies", "bank", "")).reason,
            "RBAC: allowed by ClusterRoleBinding \"np\" of ClusterRole \"np\" to Group \"system:serviceaccounts\"");

  // Bindings are read on every request: removing one takes the access away at once.
  remove("clusterrolebindings", "", "np");
  EXPECT_FALSE(allowed(request("list", "networking.k8s.io", "networkpolicies", "", "")));
}

TEST_F(RbacAuthorizerTest, ARoleBindingToAClusterRoleGrantsItsRulesInTheBindingsNamespace) {
  put("clusterroles", "", "controller",
      {{"rules",
        {{{"apiGroups", {"secureservice.io"}}, {"resources", {"secureservices/status"}}, {"verbs", {"update"}}}}}});
  put("rolebindings", "shop", "controller",
      {{"roleRef", {{"kind", "ClusterRole"}, {"name", "controller"}}},
       {"subjects", {{{"kind", "User"}, {"name", "system:serviceaccount:ops:operator"}}}}});
  EXPECT_TRUE(allowed(request("update", "secureservice.io", "secureservices", "shop", "pay", "status")));
  EXPECT_FALSE(allowed(request("update", "secureservice.io", "secureservices", "shop", "pay")));
  EXPECT_FALSE(allowed(request("update", "secureservice.io", "secureservices", "bank", "pay", "status")));
  EXPECT_EQ(
      authorizer_.authorize(request("update", "secureservice.io", "secureservices", "shop", "pay", "status")).reason,
      "RBAC: allowed by RoleBinding \"controller/shop\" of ClusterRole \"controller\" to User "
      "\"system:serviceaccount:ops:operator\"");
}

TEST_F(RbacAuthorizerTest, ABindingToAMissingRoleIsTheDenialsReason) {
  put("rolebindings", "shop", "dangling",
      {{"roleRef", {{"kind", "Role"}, {"name", "gone"}}},
       {"subjects", {{{"kind", "ServiceAccount"}, {"name", "operator"}, {"namespace", "ops"}}}}});
  put("clusterrolebindings", "", "dangling",
      {{"roleRef", {{"kind", "ClusterRole"}, {"name", "gone"}}},
       {"subjects", {{{"kind", "Group"}, {"name", "system:authenticated"}}}}});
  const auto decision = authorizer_.authorize(request("get", "", "secrets", "shop", "x"));
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.reason,
            "RBAC: [clusterrole.rbac.authorization.k8s.io \"gone\" not found, role.rbac.authorization.k8s.io \"gone\" "
            "not found]");
  EXPECT_EQ(authorizer_.authorize(request("get", "", "secrets", "bank", "x")).reason,
            "RBAC: clusterrole.rbac.authorization.k8s.io \"gone\" not found");
}

}  // namespace
}  // namespace sso::apiserver
