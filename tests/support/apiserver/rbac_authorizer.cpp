#include "apiserver/rbac_authorizer.hpp"

#include <algorithm>
#include <sstream>

namespace sso::apiserver {

using nlohmann::json;

namespace {

constexpr const char* kRbacGroup = "rbac.authorization.k8s.io";

std::vector<std::string> strings_of(const json& object, const char* field) {
  std::vector<std::string> out;
  if (!object.contains(field) || !object[field].is_array()) return out;
  for (const auto& item : object[field])
    if (item.is_string()) out.push_back(item.get<std::string>());
  return out;
}

bool has(const std::vector<std::string>& set, const std::string& element) {
  return std::find(set.begin(), set.end(), element) != set.end();
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// The bootstrap ClusterRoles bound to system:authenticated (plugin/pkg/auth/authorizer/rbac/
// bootstrappolicy/policy.go): system:discovery and system:public-info-viewer let every user
// read discovery, OpenAPI, /version and the health endpoints; system:basic-user lets a user
// review its own access (what `kubectl auth can-i` sends).
const std::vector<std::pair<std::string, PolicyRule>>& bootstrap_rules() {
  static const std::vector<std::pair<std::string, PolicyRule>> rules = {
      {"system:discovery",
       {{"get"},
        {},
        {},
        {},
        {"/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*", "/version", "/version/"}}},
      {"system:public-info-viewer", {{"get"}, {}, {}, {}, {"/livez", "/readyz", "/healthz", "/version", "/version/"}}},
      {"system:basic-user",
       {{"create"}, {"authorization.k8s.io"}, {"selfsubjectaccessreviews", "selfsubjectrulesreviews"}, {}, {}}},
      {"system:basic-user", {{"create"}, {"authentication.k8s.io"}, {"selfsubjectreviews"}, {}, {}}},
  };
  return rules;
}

std::string describe_subject(const json& subject, const std::string& binding_namespace) {
  const std::string kind = subject.value("kind", "");
  std::string name = subject.value("name", "");
  if (kind == "ServiceAccount") {
    const std::string ns = subject.value("namespace", "");
    name += "/" + (ns.empty() ? binding_namespace : ns);
  }
  return kind + " \"" + name + "\"";
}

// Go's %v of an aggregate error: one error alone, several as "[a, b]".
std::string aggregate(const std::vector<std::string>& errors) {
  if (errors.size() == 1) return errors[0];
  std::string out = "[";
  for (size_t i = 0; i < errors.size(); ++i) out += (i ? ", " : "") + errors[i];
  return out + "]";
}

}  // namespace

PolicyRule PolicyRule::from_json(const json& rule) {
  return {strings_of(rule, "verbs"), strings_of(rule, "apiGroups"), strings_of(rule, "resources"),
          strings_of(rule, "resourceNames"), strings_of(rule, "nonResourceURLs")};
}

bool verb_matches(const PolicyRule& rule, const std::string& verb) {
  return std::any_of(rule.verbs.begin(), rule.verbs.end(), [&](const auto& v) { return v == "*" || v == verb; });
}

bool api_group_matches(const PolicyRule& rule, const std::string& group) {
  return std::any_of(rule.api_groups.begin(), rule.api_groups.end(),
                     [&](const auto& g) { return g == "*" || g == group; });
}

bool resource_matches(const PolicyRule& rule, const std::string& combined, const std::string& subresource) {
  for (const auto& r : rule.resources) {
    if (r == "*" || r == combined) return true;
    if (subresource.empty()) continue;
    if (r.size() == subresource.size() + 2 && starts_with(r, "*/") && r.compare(2, std::string::npos, subresource) == 0)
      return true;
  }
  return false;
}

bool resource_name_matches(const PolicyRule& rule, const std::string& name) {
  return rule.resource_names.empty() || has(rule.resource_names, name);
}

bool non_resource_url_matches(const PolicyRule& rule, const std::string& path) {
  for (const auto& url : rule.non_resource_urls) {
    if (url == "*" || url == path) return true;
    if (!url.empty() && url.back() == '*') {
      std::string prefix = url;
      while (!prefix.empty() && prefix.back() == '*') prefix.pop_back();  // strings.TrimRight(url, "*")
      if (starts_with(path, prefix)) return true;
    }
  }
  return false;
}

bool rule_allows(const AuthorizationAttributes& a, const PolicyRule& rule) {
  if (a.resource_request) {
    const std::string combined = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
    return verb_matches(rule, a.verb) && api_group_matches(rule, a.group) &&
           resource_matches(rule, combined, a.subresource) && resource_name_matches(rule, a.name);
  }
  return verb_matches(rule, a.verb) && non_resource_url_matches(rule, a.path);
}

bool subject_applies(const json& subject, const UserInfo& user, const std::string& binding_namespace) {
  const std::string kind = subject.value("kind", "");
  const std::string name = subject.value("name", "");
  if (kind == "User") return user.name == name;
  if (kind == "Group") return has(user.groups, name);
  if (kind == "ServiceAccount") {
    // An unqualified ServiceAccount in a RoleBinding is one of the binding's namespace.
    std::string ns = subject.value("namespace", "");
    if (ns.empty()) ns = binding_namespace;
    if (ns.empty()) return false;
    return user.name == "system:serviceaccount:" + ns + ":" + name;
  }
  return false;
}

std::string name_from_field_selector(const std::string& field_selector) {
  // fields.Selector.RequiresExactMatch("metadata.name"): a "=" or "==" term of the AND list.
  std::stringstream ss(field_selector);
  std::string term;
  while (std::getline(ss, term, ',')) {
    term.erase(std::remove(term.begin(), term.end(), ' '), term.end());
    std::string value;
    if (starts_with(term, "metadata.name=="))
      value = term.substr(15);
    else if (starts_with(term, "metadata.name="))
      value = term.substr(14);
    else
      continue;
    // path.IsValidPathSegmentName: a name that could not be in a URL is not taken.
    if (value == "." || value == ".." || value.find('/') != std::string::npos || value.find('%') != std::string::npos)
      return "";
    return value;
  }
  return "";
}

AuthorizationDecision RbacAuthorizer::authorize(const AuthorizationAttributes& a) const {
  // The privileged group needs no look at the store: the admin's requests take no lock here.
  if (has(a.user.groups, "system:masters")) return {true, ""};
  auto txn = store_.begin();
  return authorize(a, txn);
}

AuthorizationDecision RbacAuthorizer::authorize(const AuthorizationAttributes& a, const ObjectStore::Transaction& txn) {
  if (has(a.user.groups, "system:masters")) return {true, ""};
  if (has(a.user.groups, "system:authenticated"))
    for (const auto& [role, rule] : bootstrap_rules())
      if (rule_allows(a, rule))
        return {true, "RBAC: allowed by ClusterRoleBinding \"" + role + "\" of ClusterRole \"" + role +
                          "\" to Group \"system:authenticated\""};

  // DefaultRuleResolver.VisitRulesFor: ClusterRoleBindings, then the RoleBindings of the
  // request's namespace; a binding whose role is missing is an error, reported only when
  // nothing else allows.
  std::vector<std::string> errors;
  auto role_rules = [&](const json& role_ref, const std::string& binding_ns) -> std::optional<json> {
    const std::string kind = role_ref.value("kind", "");
    const std::string name = role_ref.value("name", "");
    std::optional<json> role;
    if (kind == "ClusterRole")
      role = txn.get({kRbacGroup, "clusterroles", "", name});
    else if (kind == "Role")
      role = txn.get({kRbacGroup, "roles", binding_ns, name});
    else {
      errors.push_back("unsupported role reference kind: \"" + kind + "\"");
      return std::nullopt;
    }
    if (!role) {
      errors.push_back((kind == "Role" ? "role." : "clusterrole.") + std::string(kRbacGroup) + " \"" + name +
                       "\" not found");
      return std::nullopt;
    }
    return role->value("rules", json::array());
  };
  // The binding's rule that allows the request, described as kube-apiserver's reason does.
  auto allowed_by = [&](const json& binding, const std::string& binding_ns) -> std::optional<std::string> {
    const json subjects = binding.value("subjects", json::array());
    const auto subject = std::find_if(subjects.begin(), subjects.end(),
                                      [&](const json& s) { return subject_applies(s, a.user, binding_ns); });
    if (subject == subjects.end()) return std::nullopt;
    const json role_ref = binding.value("roleRef", json::object());
    const auto rules = role_rules(role_ref, binding_ns);
    if (!rules || !rules->is_array()) return std::nullopt;
    for (const auto& r : *rules) {
      if (!rule_allows(a, PolicyRule::from_json(r))) continue;
      const std::string name = binding["metadata"].value("name", "");
      return "RBAC: allowed by " + std::string(binding_ns.empty() ? "ClusterRoleBinding" : "RoleBinding") + " \"" +
             (binding_ns.empty() ? name : name + "/" + binding_ns) + "\" of " + role_ref.value("kind", "") + " \"" +
             role_ref.value("name", "") + "\" to " + describe_subject(*subject, binding_ns);
    }
    return std::nullopt;
  };
  for (const auto& [key, binding] : txn.list({kRbacGroup, "clusterrolebindings", std::nullopt, {}, {}}))
    if (auto reason = allowed_by(binding, "")) return {true, *reason};
  if (!a.ns.empty())
    for (const auto& [key, binding] : txn.list({kRbacGroup, "rolebindings", a.ns, {}, {}}))
      if (auto reason = allowed_by(binding, a.ns)) return {true, *reason};
  return {false, errors.empty() ? "" : "RBAC: " + aggregate(errors)};
}

std::string forbidden_message(const AuthorizationAttributes& a) {
  const std::string user = "User \"" + a.user.name + "\"";
  if (!a.resource_request) return user + " cannot " + a.verb + " path \"" + a.path + "\"";
  const std::string resource = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
  std::string message = user + " cannot " + a.verb + " resource \"" + resource + "\" in API group \"" + a.group + "\"";
  return message + (a.ns.empty() ? " at the cluster scope" : " in the namespace \"" + a.ns + "\"");
}

ApiResponse forbidden_response(const AuthorizationAttributes& a, const std::string& reason) {
  std::string error = forbidden_message(a);
  if (!reason.empty()) error += ": " + reason;
  // apierrors.NewForbidden(GroupResource{group, resource}, name, err); details are omitempty.
  json details = json::object();
  std::string message;
  if (a.resource.empty()) {
    message = "forbidden: " + error;
  } else {
    const std::string qualified = a.group.empty() ? a.resource : a.resource + "." + a.group;
    message = a.name.empty() ? qualified + " is forbidden: " + error
                             : qualified + " \"" + a.name + "\" is forbidden: " + error;
    if (!a.name.empty()) details["name"] = a.name;
    if (!a.group.empty()) details["group"] = a.group;
    details["kind"] = a.resource;
  }
  return status_error(403, "Forbidden", message, details);
}

}  // namespace sso::apiserver
