#include "controller/mesh_access.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include "controller/http_match.hpp"
#include "controller/written_object.hpp"

namespace sso::controller {

using nlohmann::json;
using written::group_of;
using written::kind_of;
using written::object_name;
using written::selects;
using written::spec_of;

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

std::vector<std::string> strings_of(const json& parent, const char* key) {
  std::vector<std::string> out;
  const json items = parent.value(key, json::array());
  if (!items.is_array()) return out;
  for (const auto& i : items)
    if (i.is_string()) out.push_back(i.get<std::string>());
  return out;
}

// Istio's string match (exact, "prefix*", "*suffix", "*"), as principals, requestPrincipals
// and paths are written.
bool istio_matches(const std::string& pattern, const std::string& value) {
  if (pattern == "*") return !value.empty();
  if (pattern.size() > 1 && pattern.front() == '*') return value.ends_with(pattern.substr(1));
  if (pattern.size() > 1 && pattern.back() == '*') return value.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == value;
}

bool any_matches(const std::vector<std::string>& patterns, const std::string& value) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return istio_matches(p, value); });
}

bool istio_selects(const json& spec, const kube::Labels& labels) {
  if (!spec.contains("selector")) return true;  // every workload of the namespace
  const json& selector = spec["selector"];
  if (!selector.is_object() || !selector.contains("matchLabels")) return true;
  const json& match = selector["matchLabels"];
  if (!match.is_object()) return false;
  for (auto it = match.begin(); it != match.end(); ++it) {
    const auto found = labels.find(it.key());
    if (!it->is_string() || found == labels.end() || found->second != it->get<std::string>()) return false;
  }
  return true;
}

// How an Istio rule (security/v1 Rule) meets a call: any `from` source, and any `to`
// operation. When the request names no operation, `only` lists the operations the rule
// restricts it to (empty: every request on the port).
struct RuleMatch {
  bool source = false;     // principals and namespaces
  bool token = false;      // requestPrincipals, when the source matched
  bool operation = false;  // ports, methods, paths
  std::vector<std::string> only;
  std::vector<std::string> issuers_needed;  // requestPrincipals of sources that matched but for the token
  bool matches() const { return source && token && operation; }
};

RuleMatch istio_rule_match(const json& rule, const std::string& principal, const std::string& caller_ns, int port,
                           const Request& request) {
  RuleMatch m;
  const json from = rule.value("from", json::array());
  if (!from.is_array() || from.empty()) {
    m.source = m.token = true;
  } else {
    for (const auto& f : from) {
      const json source = f.value("source", json::object());
      const auto principals = strings_of(source, "principals");
      const auto namespaces = strings_of(source, "namespaces");
      const bool p_ok = principals.empty() || (!principal.empty() && any_matches(principals, principal));
      const bool ns_ok = namespaces.empty() || (!principal.empty() && std::find(namespaces.begin(), namespaces.end(),
                                                                                caller_ns) != namespaces.end());
      if (!p_ok || !ns_ok) continue;
      m.source = true;
      const auto request_principals = strings_of(source, "requestPrincipals");
      // A request principal is "iss/sub"; any subject of the token's issuer stands for it.
      if (request_principals.empty() ||
          (request.jwt_issuer && any_matches(request_principals, *request.jwt_issuer + "/subject"))) {
        m.token = true;
        break;
      }
      m.issuers_needed.insert(m.issuers_needed.end(), request_principals.begin(), request_principals.end());
    }
  }
  const json to = rule.value("to", json::array());
  if (!to.is_array() || to.empty()) {
    m.operation = true;
    return m;
  }
  for (const auto& t : to) {
    const json operation = t.value("operation", json::object());
    const auto ports = strings_of(operation, "ports");
    if (!ports.empty() && std::find(ports.begin(), ports.end(), std::to_string(port)) == ports.end()) continue;
    const auto methods = strings_of(operation, "methods");
    const auto paths = strings_of(operation, "paths");
    if (!request.asks_operation()) {
      m.operation = true;
      if (methods.empty() && paths.empty()) {
        m.only.clear();
        return m;  // every request on the port
      }
      m.only.push_back((methods.empty() ? std::string("any method") : join(methods)) + " " +
                       (paths.empty() ? std::string("any path") : join(paths)));
      continue;
    }
    if (!methods.empty() && std::find(methods.begin(), methods.end(), request.method) == methods.end()) continue;
    if (!paths.empty() && !any_matches(paths, request.path)) continue;
    m.operation = true;
    m.only.clear();
    return m;
  }
  return m;
}

// The operations the ALLOW policies give a caller on a port, when it asks for another.
std::vector<std::string> operations_allowed(const std::vector<const json*>& allow, const std::string& principal,
                                            const std::string& caller_ns, int port,
                                            const std::optional<std::string>& jwt_issuer) {
  const Request any{"", "", jwt_issuer};
  std::vector<std::string> out;
  for (const json* p : allow)
    for (const auto& rule : spec_of(*p).value("rules", json::array())) {
      const RuleMatch m = istio_rule_match(rule, principal, caller_ns, port, any);
      if (m.matches()) out.insert(out.end(), m.only.begin(), m.only.end());
    }
  return out;
}

std::string request_text(const Request& request) { return request.method + " " + request.path; }

// The port's Server of the callee, if any.
const json* linkerd_server(const std::vector<json>& objects, const CallTarget& to) {
  const json* server = nullptr;
  for (const auto& o : objects) {
    if (group_of(o) != "policy.linkerd.io" || kind_of(o) != "Server") continue;
    const json& spec = spec_of(o);
    const json& port = spec.value("port", json());
    const bool port_ok = (port.is_number_integer() && port.get<int>() == to.port) ||
                         (port.is_string() && !to.port_name.empty() && port.get<std::string>() == to.port_name);
    if (port_ok && selects(spec.value("podSelector", json::object()), to.labels)) server = &o;
  }
  return server;
}

// The Linkerd AuthorizationPolicy targeting `kind`/`name` whose MeshTLSAuthentication names the
// caller's ServiceAccount, if any.
std::optional<std::string> linkerd_authorization(const std::vector<json>& objects, const std::string& kind,
                                                 const std::string& name, const Caller& from,
                                                 const std::string& callee_ns) {
  for (const auto& policy : objects) {
    if (group_of(policy) != "policy.linkerd.io" || kind_of(policy) != "AuthorizationPolicy") continue;
    const json& spec = spec_of(policy);
    const json target = spec.value("targetRef", json::object());
    if (target.value("kind", "") != kind || target.value("name", "") != name) continue;
    std::set<std::string> authentications;
    for (const auto& ref : spec.value("requiredAuthenticationRefs", json::array()))
      if (ref.value("kind", "") == "MeshTLSAuthentication") authentications.insert(ref.value("name", ""));
    for (const auto& o : objects) {
      if (kind_of(o) != "MeshTLSAuthentication" || authentications.count(kube::name_of(o)) == 0) continue;
      for (const auto& ref : spec_of(o).value("identityRefs", json::array()))
        if (ref.value("kind", "") == "ServiceAccount" && ref.value("name", "") == from.service_account &&
            ref.value("namespace", callee_ns) == from.ns)
          return object_name(policy);
    }
  }
  return std::nullopt;
}

// An HTTPRoute's matches as Linkerd reads them: a missing path is the prefix "/", a rule
// without matches matches every request.
std::vector<HttpMatch> route_matches(const json& route) {
  std::vector<HttpMatch> out;
  for (const auto& rule : spec_of(route).value("rules", json::array())) {
    const json matches = rule.value("matches", json::array());
    if (!matches.is_array() || matches.empty()) out.push_back(HttpMatch{});
    for (const auto& m : matches) {
      const json path = m.value("path", json::object());
      out.push_back({m.value("method", ""), path.value("type", "PathPrefix") == "Exact", path.value("value", "/")});
    }
  }
  return out;
}

bool attached_to(const json& route, const std::string& server_name) {
  for (const auto& ref : spec_of(route).value("parentRefs", json::array()))
    if (ref.value("kind", "") == "Server" && ref.value("name", "") == server_name) return true;
  return false;
}

}  // namespace

LayerVerdict jwt_layer(const std::vector<json>& objects, const Request& request, const CallTarget& to) {
  LayerVerdict v{"JWT", Verdict::kNotEnforced, ""};
  std::vector<std::string> policies, issuers;
  for (const auto& o : objects) {
    if (group_of(o) != "security.istio.io" || kind_of(o) != "RequestAuthentication") continue;
    if (!istio_selects(spec_of(o), to.labels)) continue;
    policies.push_back(object_name(o));
    for (const auto& rule : spec_of(o).value("jwtRules", json::array())) issuers.push_back(rule.value("issuer", ""));
  }
  if (policies.empty()) {
    v.reason = "no RequestAuthentication selects the pods of " + to.service.ns + "/" + to.service.name;
    return v;
  }
  if (!request.jwt_issuer) {
    v.verdict = Verdict::kAllowed;
    v.reason = "the request carries no token, which RequestAuthentication " + join(policies) +
               " lets through (whether one is required is the AuthorizationPolicy's to say)";
    return v;
  }
  if (std::find(issuers.begin(), issuers.end(), *request.jwt_issuer) == issuers.end()) {
    v.verdict = Verdict::kDenied;
    v.reason = "RequestAuthentication " + join(policies) + " accepts tokens of " + join(issuers) + " only, not of " +
               *request.jwt_issuer + ": Istio answers 401";
    return v;
  }
  v.verdict = Verdict::kAllowed;
  v.reason = "RequestAuthentication " + join(policies) + " accepts a valid token of " + *request.jwt_issuer;
  return v;
}

LayerVerdict istio_layer(const std::vector<json>& objects, const Caller& from, const Request& request,
                         const CallTarget& to, const std::string& trust_domain) {
  LayerVerdict v{"Istio", Verdict::kNotEnforced, ""};
  const std::string principal =
      from.service_account.empty() ? "" : trust_domain + "/ns/" + from.ns + "/sa/" + from.service_account;
  const std::string who = from.name + (principal.empty() ? " (no mesh identity)" : " (" + principal + ")");
  const std::string on = std::to_string(to.port) + (request.asks_operation() ? " for " + request_text(request) : "");
  std::vector<const json*> allow, deny;
  for (const auto& o : objects) {
    if (group_of(o) != "security.istio.io") continue;
    const json& spec = spec_of(o);
    if (!istio_selects(spec, to.labels)) continue;
    if (kind_of(o) == "PeerAuthentication" && spec.value("mtls", json::object()).value("mode", "") == "STRICT" &&
        principal.empty()) {
      v.verdict = Verdict::kDenied;
      v.reason = "PeerAuthentication " + object_name(o) + " is STRICT: " + from.name +
                 " has no mesh identity, and plaintext callers are refused";
      return v;
    }
    if (kind_of(o) == "AuthorizationPolicy") (spec.value("action", "ALLOW") == "DENY" ? deny : allow).push_back(&o);
  }
  for (const json* p : deny)
    for (const auto& rule : spec_of(*p).value("rules", json::array()))
      if (istio_rule_match(rule, principal, from.ns, to.port, request).matches()) {
        v.verdict = Verdict::kDenied;
        v.reason = "AuthorizationPolicy " + object_name(*p) + " (DENY) matches " + who;
        return v;
      }
  if (allow.empty()) {
    v.reason = "no AuthorizationPolicy selects the pods of " + to.service.ns + "/" + to.service.name;
    return v;
  }
  std::vector<std::string> names, only, issuers_needed;
  bool source_but_operation = false;
  for (const json* p : allow) {
    names.push_back(object_name(*p));
    for (const auto& rule : spec_of(*p).value("rules", json::array())) {
      const RuleMatch m = istio_rule_match(rule, principal, from.ns, to.port, request);
      if (m.matches() && m.only.empty()) {
        v.verdict = Verdict::kAllowed;
        v.reason = "AuthorizationPolicy " + object_name(*p);
        v.reason.append(" allows ").append(who).append(" on ").append(on);
        v.reason += " (the caller's pods must run in the mesh)";
        return v;
      }
      if (m.matches()) only.insert(only.end(), m.only.begin(), m.only.end());
      if (m.source && m.token && !m.operation) source_but_operation = true;
      if (m.source && !m.token)
        issuers_needed.insert(issuers_needed.end(), m.issuers_needed.begin(), m.issuers_needed.end());
    }
  }
  if (!only.empty()) {
    v.verdict = Verdict::kAllowed;
    v.reason = "AuthorizationPolicy " + join(names) + " allows " + who + " on " + on + " only for: " + join(only) +
               " (the caller's pods must run in the mesh)";
    return v;
  }
  v.verdict = Verdict::kDenied;
  if (!issuers_needed.empty())
    v.reason = "AuthorizationPolicy " + join(names) + " allows " + who + " only with a valid JWT (requestPrincipals " +
               join(issuers_needed) + "), and the request carries " +
               (request.jwt_issuer ? "one of " + *request.jwt_issuer : std::string("none"));
  else if (source_but_operation)
    v.reason = "AuthorizationPolicy " + join(names) + " allows " + who + " on " + std::to_string(to.port) +
               " only for: " + join(operations_allowed(allow, principal, from.ns, to.port, request.jwt_issuer)) +
               "; not " + request_text(request);
  else
    v.reason = "AuthorizationPolicy " + join(names) + " allows no rule for " + who + " on " + std::to_string(to.port);
  return v;
}

LayerVerdict linkerd_layer(const std::vector<json>& objects, const Caller& from, const Request& request,
                           const CallTarget& to) {
  LayerVerdict v{"Linkerd", Verdict::kNotEnforced, ""};
  const json* server = linkerd_server(objects, to);
  if (!server) {
    v.reason = "no Server for port " + std::to_string(to.port) + " of " + to.service.ns + "/" + to.service.name +
               ": the cluster's default policy applies";
    return v;
  }
  const std::string server_name = kube::name_of(*server);
  const std::string access = spec_of(*server).value("accessPolicy", "deny");
  if (access == "all-unauthenticated") {
    v.verdict = Verdict::kAllowed;
    v.reason = "Server " + object_name(*server) + " admits every caller (accessPolicy all-unauthenticated)";
    return v;
  }
  if (from.service_account.empty()) {
    v.verdict = Verdict::kDenied;
    v.reason = "Server " + object_name(*server) + " (accessPolicy " + access + ") admits only mesh identities, and " +
               from.name + " has none";
    return v;
  }
  if (access == "all-authenticated" || access == "cluster-authenticated") {
    v.verdict = Verdict::kAllowed;
    v.reason = "Server " + object_name(*server) + " admits every meshed caller (accessPolicy " + access + ")";
    return v;
  }
  const std::string account = "the ServiceAccount " + from.ns + "/" + from.service_account;
  // A policy on the Server applies to all its traffic, whatever route it lands on.
  if (auto policy = linkerd_authorization(objects, "Server", server_name, from, to.service.ns)) {
    v.verdict = Verdict::kAllowed;
    v.reason = "AuthorizationPolicy " + *policy + " authorizes " + account + " on Server " + object_name(*server);
    return v;
  }
  std::vector<const json*> routes;
  for (const auto& o : objects)
    if (group_of(o) == "policy.linkerd.io" && kind_of(o) == "HTTPRoute" && attached_to(o, server_name))
      routes.push_back(&o);
  if (routes.empty()) {
    v.verdict = Verdict::kDenied;
    v.reason = "Server " + object_name(*server) + " (accessPolicy " + access + ") authorizes no rule for " + account;
    return v;
  }
  if (!request.asks_operation()) {
    std::vector<std::string> only;
    for (const json* route : routes) {
      if (!linkerd_authorization(objects, "HTTPRoute", kube::name_of(*route), from, to.service.ns)) continue;
      for (const auto& m : route_matches(*route)) only.push_back(describe(m));
    }
    v.verdict = only.empty() ? Verdict::kDenied : Verdict::kAllowed;
    v.reason = only.empty() ? "no HTTPRoute of Server " + object_name(*server) + " authorizes " + account
                            : "the HTTPRoutes of Server " + object_name(*server) + " authorize " + account +
                                  " only for: " + join(only);
    return v;
  }
  // The route a request lands on: the most specific match of all the Server's routes.
  const json* landed = nullptr;
  std::optional<HttpMatch> best;
  for (const json* route : routes)
    for (const auto& m : route_matches(*route))
      if (matches_request(m, request.method, request.path) && (!best || more_specific(m, *best))) {
        best = m;
        landed = route;
      }
  if (!landed) {
    v.verdict = Verdict::kDenied;
    v.reason = "no HTTPRoute of Server " + object_name(*server) + " matches " + request_text(request) +
               ": Linkerd answers 404";
    return v;
  }
  if (auto policy = linkerd_authorization(objects, "HTTPRoute", kube::name_of(*landed), from, to.service.ns)) {
    v.verdict = Verdict::kAllowed;
    v.reason = "HTTPRoute " + object_name(*landed) + " (" + describe(*best) + ") takes " + request_text(request) +
               ", and AuthorizationPolicy " + *policy + " authorizes " + account + " on it";
    return v;
  }
  v.verdict = Verdict::kDenied;
  v.reason = "HTTPRoute " + object_name(*landed) + " (" + describe(*best) + ") takes " + request_text(request) +
             ", and no AuthorizationPolicy of it authorizes " + account;
  return v;
}

}  // namespace sso::controller
