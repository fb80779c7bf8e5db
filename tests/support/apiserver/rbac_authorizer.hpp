#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apiserver/admission.hpp"
#include "apiserver/object_store.hpp"
#include "apiserver/status_errors.hpp"

namespace sso::apiserver {

// What kube-apiserver's RequestInfo resolves a request to, and what authorizers see
// (k8s.io/apiserver/pkg/authorization/authorizer.Attributes).
struct AuthorizationAttributes {
  UserInfo user;
  std::string verb;  // get, list, watch, create, update, patch, delete, deletecollection
  bool resource_request = true;
  std::string group;
  std::string version;
  std::string resource;
  std::string subresource;
  std::string ns;
  std::string name;
  std::string path;  // non-resource requests only: "/healthz"
};

// rbac.authorization.k8s.io/v1 PolicyRule.
struct PolicyRule {
  std::vector<std::string> verbs;
  std::vector<std::string> api_groups;
  std::vector<std::string> resources;
  std::vector<std::string> resource_names;
  std::vector<std::string> non_resource_urls;

  static PolicyRule from_json(const nlohmann::json& rule);
};

// pkg/apis/rbac/v1/evaluation_helpers.go, one for one.
bool verb_matches(const PolicyRule& rule, const std::string& verb);
bool api_group_matches(const PolicyRule& rule, const std::string& group);
// `combined` is "resource" or "resource/subresource"; a rule's "*/subresource" matches any
// resource's subresource of that name.
bool resource_matches(const PolicyRule& rule, const std::string& combined, const std::string& subresource);
bool resource_name_matches(const PolicyRule& rule, const std::string& name);
bool non_resource_url_matches(const PolicyRule& rule, const std::string& path);
// plugin/pkg/auth/authorizer/rbac/rbac.go RuleAllows.
bool rule_allows(const AuthorizationAttributes& attributes, const PolicyRule& rule);

// pkg/registry/rbac/validation/rule.go appliesToUser: a binding subject (User, Group, or
// ServiceAccount, whose namespace defaults to the RoleBinding's) against the user.
bool subject_applies(const nlohmann::json& subject, const UserInfo& user, const std::string& binding_namespace);

// The name a list or watch asks for with fieldSelector metadata.name=NAME: kube-apiserver's
// RequestInfo makes it the request's name, so that resourceNames can authorize it.
std::string name_from_field_selector(const std::string& field_selector);

struct AuthorizationDecision {
  bool allowed = false;
  // "RBAC: allowed by ..." when allowed; on a denial, the resolution errors (a binding to a
  // role that does not exist), as kube-apiserver appends them to the 403's message.
  std::string reason;
};

// kube-apiserver's authorizer chain with --authorization-mode=RBAC: the privileged group
// system:masters is allowed everything (authorizerfactory.NewPrivilegedGroups), then the
// bootstrap policy's non-resource and self-review rules for system:authenticated
// (system:discovery, system:basic-user, system:public-info-viewer; built in rather than
// stored), then the Roles, ClusterRoles and their bindings in the store, read on every call.
class RbacAuthorizer {
 public:
  explicit RbacAuthorizer(ObjectStore& store) : store_(store) {}
  AuthorizationDecision authorize(const AuthorizationAttributes& attributes) const;
  // The same, inside a transaction the caller holds (admission plugins run under it).
  static AuthorizationDecision authorize(const AuthorizationAttributes& attributes,
                                         const ObjectStore::Transaction& txn);

 private:
  ObjectStore& store_;
};

// The 403 kube-apiserver answers a denied request with (responsewriters.Forbidden,
// apierrors.NewForbidden): `secrets "x" is forbidden: User "u" cannot get resource "secrets"
// in API group "" in the namespace "ns"`, details {name, group, kind}.
std::string forbidden_message(const AuthorizationAttributes& attributes);
ApiResponse forbidden_response(const AuthorizationAttributes& attributes, const std::string& reason);

}  // namespace sso::apiserver
