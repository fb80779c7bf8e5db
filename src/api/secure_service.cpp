#include "api/secure_service.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "base/time.hpp"
#include "kube/names.hpp"

namespace sso::api {
namespace {

using kube::is_dns_label;
using kube::is_dns_subdomain;
using nlohmann::json;

// Collects every problem of one object, as kube-apiserver's field.ErrorList does.
class Problems {
 public:
  void add(const std::string& field, const std::string& message) { list_.push_back(field + ": " + message); }
  bool empty() const { return list_.empty(); }
  std::string joined() const {
    std::string out;
    for (const auto& p : list_) out += (out.empty() ? "" : "; ") + p;
    return out;
  }

 private:
  std::vector<std::string> list_;
};

// Reads an optional field of a given JSON type; a present field of another type is a problem.
const json* field(const json& parent, const char* key, json::value_t type, const std::string& path,
                  Problems& problems) {
  if (!parent.is_object() || !parent.contains(key) || parent[key].is_null()) return nullptr;
  const json& v = parent[key];
  const bool ok = v.type() == type || (type == json::value_t::number_integer && v.is_number_integer()) ||
                  (type == json::value_t::number_unsigned && v.is_number_integer());
  if (!ok) {
    const char* name = type == json::value_t::object    ? "object"
                       : type == json::value_t::array   ? "array"
                       : type == json::value_t::string  ? "string"
                       : type == json::value_t::boolean ? "boolean"
                                                        : "integer";
    problems.add(path, std::string("Invalid value: must be of type ") + name);
    return nullptr;
  }
  return &v;
}

std::string string_or(const json& parent, const char* key, const std::string& path, Problems& problems,
                      std::string fallback) {
  const json* v = field(parent, key, json::value_t::string, path, problems);
  return v ? v->get<std::string>() : std::move(fallback);
}

bool bool_or(const json& parent, const char* key, const std::string& path, Problems& problems, bool fallback) {
  const json* v = field(parent, key, json::value_t::boolean, path, problems);
  return v ? v->get<bool>() : fallback;
}

// An array of strings; each item that is not a string is a problem of its own.
std::vector<std::string> strings_field(const json& parent, const char* key, const std::string& path,
                                       Problems& problems) {
  std::vector<std::string> out;
  const json* items = field(parent, key, json::value_t::array, path, problems);
  if (!items) return out;
  for (size_t i = 0; i < items->size(); ++i) {
    if ((*items)[i].is_string())
      out.push_back((*items)[i].get<std::string>());
    else
      problems.add(path + "[" + std::to_string(i) + "]", "Invalid value: must be of type string");
  }
  return out;
}

// An enum field: its text must be one of `names`; returns the index, or `fallback`.
template <typename E, size_t N>
E enum_or(const json& parent, const char* key, const std::string& path, Problems& problems,
          const std::pair<const char*, E> (&names)[N], E fallback) {
  const json* v = field(parent, key, json::value_t::string, path, problems);
  if (!v) return fallback;
  for (const auto& [name, value] : names)
    if (*v == name) return value;
  std::string supported;
  for (const auto& [name, value] : names) supported += std::string(supported.empty() ? "" : ", ") + "\"" + name + "\"";
  problems.add(path, "Unsupported value: \"" + v->get<std::string>() + "\": supported values: " + supported);
  return fallback;
}

// IANA_SVC_NAME as Service and container port names: at most 15 characters, lowercase
// alphanumerics and '-', a letter among them, no "--", no leading or trailing '-'.
bool is_port_name(const std::string& s) {
  static const std::regex kName("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$");
  return s.size() <= 15 && std::regex_match(s, kName) && s.find("--") == std::string::npos &&
         std::any_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

std::optional<std::chrono::seconds> duration_field(const json& parent, const char* key, const std::string& path,
                                                   Problems& problems) {
  const json* v = field(parent, key, json::value_t::string, path, problems);
  if (!v) return std::nullopt;
  auto d = parse_duration(v->get<std::string>());
  if (!d.ok()) {
    problems.add(path, "Invalid value: \"" + v->get<std::string>() + "\": " + d.error().message());
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::seconds>(*d);
}

std::optional<kube::LabelSelector> selector_field(const json& parent, const char* key, const std::string& path,
                                                  Problems& problems) {
  const json* v = field(parent, key, json::value_t::object, path, problems);
  if (!v) return std::nullopt;
  auto selector = kube::parse_label_selector(*v, path);
  if (!selector.ok()) {
    problems.add(path, selector.error().message().substr(path.size() + 2));  // drop the repeated path
    return std::nullopt;
  }
  return *selector;
}

void read_ports(const json& spec, SecureService& out, Problems& problems) {
  const json* ports = field(spec, "ports", json::value_t::array, "spec.ports", problems);
  if (!ports || ports->empty()) {
    if (!spec.contains("ports") || (ports && ports->empty()))
      problems.add("spec.ports", "Required value: at least one port");
    return;
  }
  std::set<int> numbers;
  std::set<std::string> names;
  for (size_t i = 0; i < ports->size(); ++i) {
    const std::string path = "spec.ports[" + std::to_string(i) + "]";
    const json& p = (*ports)[i];
    if (!p.is_object()) {
      problems.add(path, "Invalid value: must be of type object");
      continue;
    }
    ServicePort port;
    port.name = string_or(p, "name", path + ".name", problems, "");
    if (!port.name.empty() && !is_port_name(port.name))
      problems.add(path + ".name", "Invalid value: \"" + port.name +
                                       "\": must be an IANA_SVC_NAME (at most 15 "
                                       "characters, lowercase alphanumerics and '-', with at least one letter)");
    if (!port.name.empty() && !names.insert(port.name).second)
      problems.add(path + ".name", "Duplicate value: \"" + port.name + "\"");
    const json* number = field(p, "port", json::value_t::number_integer, path + ".port", problems);
    if (!number) {
      if (!p.contains("port")) problems.add(path + ".port", "Required value");
    } else {
      const int64_t n = number->get<int64_t>();
      if (n < 1 || n > 65535)
        problems.add(path + ".port",
                     "Invalid value: " + std::to_string(n) + ": must be between 1 and 65535, inclusive");
      else if (!numbers.insert(static_cast<int>(n)).second)
        problems.add(path + ".port", "Duplicate value: " + std::to_string(n));
      port.port = static_cast<int>(n);
    }
    port.protocol = string_or(p, "protocol", path + ".protocol", problems, "TCP");
    if (port.protocol != "TCP" && port.protocol != "UDP" && port.protocol != "SCTP")
      problems.add(path + ".protocol",
                   "Unsupported value: \"" + port.protocol + "\": supported values: \"TCP\", \"UDP\", \"SCTP\"");
    out.ports.push_back(std::move(port));
  }
}

void read_tls(const json& spec, SecureService& out, Problems& problems) {
  static const json kEmpty = json::object();
  const json* tls_ptr = field(spec, "tls", json::value_t::object, "spec.tls", problems);
  const json& tls = tls_ptr ? *tls_ptr : kEmpty;
  TlsSpec& t = out.tls;
  static const std::pair<const char*, pki::TlsMode> kModes[] = {{"Mutual", pki::TlsMode::kMutual},
                                                                {"Server", pki::TlsMode::kServer}};
  t.mode = enum_or(tls, "mode", "spec.tls.mode", problems, kModes, pki::TlsMode::kMutual);
  t.secret_name = string_or(tls, "secretName", "spec.tls.secretName", problems, out.name + "-tls");
  if (!is_dns_subdomain(t.secret_name))
    problems.add("spec.tls.secretName",
                 "Invalid value: \"" + t.secret_name + "\": must be a lowercase RFC 1123 subdomain");
  t.dns_names = strings_field(tls, "dnsNames", "spec.tls.dnsNames", problems);
  for (size_t i = 0; i < t.dns_names.size(); ++i)
    if (auto s = pki::validate_dns_name(t.dns_names[i]); !s.ok())
      problems.add("spec.tls.dnsNames[" + std::to_string(i) + "]",
                   "Invalid value: \"" + t.dns_names[i] + "\": " + s.error().message());
  if (auto d = duration_field(tls, "duration", "spec.tls.duration", problems)) t.duration = *d;
  if (t.duration < pki::kMinimumDuration)
    problems.add("spec.tls.duration", "Invalid value: \"" + format_duration(t.duration) + "\": must be at least 1h");
  t.renew_before = duration_field(tls, "renewBefore", "spec.tls.renewBefore", problems);
  if (t.renew_before) {
    if (*t.renew_before >= t.duration)
      problems.add("spec.tls.renewBefore", "Invalid value: \"" + format_duration(*t.renew_before) +
                                               "\": must be less than spec.tls.duration (" +
                                               format_duration(t.duration) + ")");
    else if (*t.renew_before < pki::kMinimumRenewBefore)
      problems.add("spec.tls.renewBefore",
                   "Invalid value: \"" + format_duration(*t.renew_before) + "\": must be at least 5m");
  }

  const json* key = field(tls, "privateKey", json::value_t::object, "spec.tls.privateKey", problems);
  const json& k = key ? *key : kEmpty;
  const std::string algorithm = string_or(k, "algorithm", "spec.tls.privateKey.algorithm", problems, "ECDSA");
  int size = 0;
  if (const json* s = field(k, "size", json::value_t::number_integer, "spec.tls.privateKey.size", problems))
    size = s->get<int>();
  if (algorithm != "ECDSA" && algorithm != "RSA" && algorithm != "Ed25519") {
    problems.add("spec.tls.privateKey.algorithm",
                 "Unsupported value: \"" + algorithm + "\": supported values: \"ECDSA\", \"RSA\", \"Ed25519\"");
  } else if (algorithm == "Ed25519" && size != 0) {
    problems.add("spec.tls.privateKey.size", "Forbidden: Ed25519 keys have no size");
  } else if (auto spec_or = pki::make_key_spec(algorithm, size); !spec_or.ok()) {
    problems.add("spec.tls.privateKey.size",
                 "Unsupported value: " + std::to_string(size) + ": " +
                     (algorithm == "RSA" ? "supported values: 2048, 3072, 4096" : "supported values: 256, 384, 521"));
  } else {
    t.key = *spec_or;
  }
  static const std::pair<const char*, RotationPolicy> kPolicies[] = {{"Always", RotationPolicy::kAlways},
                                                                     {"Never", RotationPolicy::kNever}};
  t.rotation_policy =
      enum_or(k, "rotationPolicy", "spec.tls.privateKey.rotationPolicy", problems, kPolicies, RotationPolicy::kAlways);

  const json* stores = field(tls, "keystores", json::value_t::object, "spec.tls.keystores", problems);
  const json* p12 =
      stores ? field(*stores, "pkcs12", json::value_t::object, "spec.tls.keystores.pkcs12", problems) : nullptr;
  if (p12) {
    t.pkcs12 = bool_or(*p12, "enabled", "spec.tls.keystores.pkcs12.enabled", problems, false);
    const std::string path = "spec.tls.keystores.pkcs12.passwordSecretRef";
    if (const json* ref = field(*p12, "passwordSecretRef", json::value_t::object, path, problems)) {
      SecretKeyRef r{string_or(*ref, "name", path + ".name", problems, ""),
                     string_or(*ref, "key", path + ".key", problems, "")};
      if (!is_dns_subdomain(r.name)) problems.add(path + ".name", "Required value: a Secret name");
      if (r.key.empty()) problems.add(path + ".key", "Required value: a key of the Secret");
      t.pkcs12_password = r;
    }
    if (t.pkcs12 && !t.pkcs12_password)
      problems.add(path, "Required value: a PKCS#12 keystore needs a password (cert-manager requires one too)");
  }
  t.mount_path = string_or(tls, "mountPath", "spec.tls.mountPath", problems, std::string(kDefaultMountPath));
  if (t.mount_path.empty() || t.mount_path.front() != '/' || t.mount_path.find(':') != std::string::npos ||
      t.mount_path.find("/../") != std::string::npos || t.mount_path.ends_with("/.."))
    problems.add("spec.tls.mountPath",
                 "Invalid value: \"" + t.mount_path + "\": must be an absolute path without '..'");
  t.restart_on_renewal = bool_or(tls, "restartOnRenewal", "spec.tls.restartOnRenewal", problems, false);
}

// A rule's path: exact ("/healthz", "/") or a prefix ending in "/*" ("/api/*", "/*"); no
// other wildcard, query or fragment: each mesh must mean the same by it.
bool is_request_path(const std::string& p) {
  if (p.empty() || p.front() != '/' || p.size() > 1024) return false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '?' || c == '#' || std::isspace(static_cast<unsigned char>(c))) return false;
    if (c == '*' && (i + 1 != p.size() || p[i - 1] != '/')) return false;
  }
  return true;
}

// An HTTP header name: RFC 9110's token.
bool is_header_name(const std::string& name) {
  static const std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kSymbols.find(c) != std::string_view::npos;
  });
}

std::vector<RequestRule> read_rules(const json& client, const std::string& path, Problems& problems) {
  std::vector<RequestRule> rules;
  const json* items = field(client, "rules", json::value_t::array, path, problems);
  if (!items) return rules;
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string at = path + "[" + std::to_string(i) + "]";
    const json& r = (*items)[i];
    if (!r.is_object()) {
      problems.add(at, "Invalid value: must be of type object");
      continue;
    }
    RequestRule rule{strings_field(r, "methods", at + ".methods", problems),
                     strings_field(r, "paths", at + ".paths", problems)};
    for (size_t j = 0; j < rule.methods.size(); ++j)
      if (!is_http_method(rule.methods[j]))
        problems.add(
            at + ".methods[" + std::to_string(j) + "]",
            "Unsupported value: \"" + rule.methods[j] + "\": supported values: " + std::string(kHttpMethodsText));
    for (size_t j = 0; j < rule.paths.size(); ++j)
      if (!is_request_path(rule.paths[j]))
        problems.add(at + ".paths[" + std::to_string(j) + "]",
                     "Invalid value: \"" + rule.paths[j] +
                         "\": must be an exact path (\"/healthz\") or a prefix ending in \"/*\" (\"/api/*\")");
    if (rule.methods.empty() && rule.paths.empty())
      problems.add(at, "Required value: methods or paths (a rule of neither would allow every request)");
    rules.push_back(std::move(rule));
  }
  return rules;
}

void read_authentication(const json& spec, SecureService& out, Problems& problems) {
  const json* auth = field(spec, "authentication", json::value_t::object, "spec.authentication", problems);
  if (!auth) return;
  Authentication& a = out.authentication;
  a.require_jwt = bool_or(*auth, "requireJWT", "spec.authentication.requireJWT", problems, false);
  if (const json* issuers = field(*auth, "jwt", json::value_t::array, "spec.authentication.jwt", problems)) {
    for (size_t i = 0; i < issuers->size(); ++i) {
      const std::string at = "spec.authentication.jwt[" + std::to_string(i) + "]";
      const json& j = (*issuers)[i];
      if (!j.is_object()) {
        problems.add(at, "Invalid value: must be of type object");
        continue;
      }
      JwtIssuer issuer;
      issuer.issuer = string_or(j, "issuer", at + ".issuer", problems, "");
      if (issuer.issuer.empty()) problems.add(at + ".issuer", "Required value: the tokens' iss claim");
      issuer.jwks_uri = string_or(j, "jwksUri", at + ".jwksUri", problems, "");
      if (!issuer.jwks_uri.empty() && !issuer.jwks_uri.starts_with("https://") &&
          !issuer.jwks_uri.starts_with("http://"))
        problems.add(at + ".jwksUri", "Invalid value: \"" + issuer.jwks_uri + "\": must be an http(s) URL");
      issuer.audiences = strings_field(j, "audiences", at + ".audiences", problems);
      if (const json* headers = field(j, "fromHeaders", json::value_t::array, at + ".fromHeaders", problems)) {
        for (size_t h = 0; h < headers->size(); ++h) {
          const std::string hat = at + ".fromHeaders[" + std::to_string(h) + "]";
          if (!(*headers)[h].is_object()) {
            problems.add(hat, "Invalid value: must be of type object");
            continue;
          }
          JwtHeader header{string_or((*headers)[h], "name", hat + ".name", problems, ""),
                           string_or((*headers)[h], "prefix", hat + ".prefix", problems, "")};
          if (!is_header_name(header.name))
            problems.add(hat + ".name", "Invalid value: \"" + header.name + "\": must be an HTTP header name");
          issuer.from_headers.push_back(std::move(header));
        }
      }
      a.jwt.push_back(std::move(issuer));
    }
  }
  if (a.require_jwt && a.jwt.empty())
    problems.add("spec.authentication.requireJWT",
                 "Invalid value: true: needs at least one issuer in spec.authentication.jwt");
}

void read_clients(const json& spec, SecureService& out, Problems& problems) {
  const json* clients = field(spec, "allowedClients", json::value_t::array, "spec.allowedClients", problems);
  if (!clients) return;
  for (size_t i = 0; i < clients->size(); ++i) {
    const std::string path = "spec.allowedClients[" + std::to_string(i) + "]";
    const json& c = (*clients)[i];
    if (!c.is_object()) {
      problems.add(path, "Invalid value: must be of type object");
      continue;
    }
    AllowedClient client;
    client.secure_service = string_or(c, "secureService", path + ".secureService", problems, "");
    client.ns = string_or(c, "namespace", path + ".namespace", problems, "");
    client.pod_selector = selector_field(c, "podSelector", path + ".podSelector", problems);
    client.namespace_selector = selector_field(c, "namespaceSelector", path + ".namespaceSelector", problems);
    const bool by_name = c.contains("secureService");
    const bool by_selector = c.contains("podSelector") || c.contains("namespaceSelector");
    if (by_name == by_selector)
      problems.add(path, "Invalid value: exactly one of secureService or podSelector/namespaceSelector must be set");
    if (by_name && !is_dns_subdomain(client.secure_service))
      problems.add(path + ".secureService",
                   "Invalid value: \"" + client.secure_service + "\": must be a SecureService name");
    if (!client.ns.empty() && !by_name)
      problems.add(path + ".namespace", "Forbidden: only with secureService; use namespaceSelector for pods");
    if (!client.ns.empty() && !is_dns_label(client.ns))
      problems.add(path + ".namespace", "Invalid value: \"" + client.ns + "\": must be a namespace name");
    if (client.ns.empty() && by_name) client.ns = out.ns;
    client.rules = read_rules(c, path + ".rules", problems);
    if (!client.rules.empty() && !by_name)
      problems.add(path + ".rules",
                   "Forbidden: only with secureService: request rules need the caller's mesh identity, which plain "
                   "pods do not have");
    if (const json* ports = field(c, "ports", json::value_t::array, path + ".ports", problems)) {
      for (size_t j = 0; j < ports->size(); ++j) {
        const std::string p = path + ".ports[" + std::to_string(j) + "]";
        const json& v = (*ports)[j];
        if (!v.is_number_integer()) {
          problems.add(p, "Invalid value: must be of type integer");
          continue;
        }
        const int port = v.get<int>();
        const bool declared =
            std::any_of(out.ports.begin(), out.ports.end(), [&](const ServicePort& sp) { return sp.port == port; });
        if (!declared) problems.add(p, "Invalid value: " + std::to_string(port) + ": not one of spec.ports");
        client.ports.push_back(port);
      }
    }
    out.allowed_clients.push_back(std::move(client));
  }
  size_t matches = 0;
  for (const auto& client : out.allowed_clients)
    for (const auto& rule : client.rules)
      matches += std::max<size_t>(1, rule.methods.size()) * std::max<size_t>(1, rule.paths.size());
  if (matches > kMaxRequestMatches)
    problems.add("spec.allowedClients", "Too many: the rules make " + std::to_string(matches) +
                                            " method and path combinations; at most " +
                                            std::to_string(kMaxRequestMatches));
}

}  // namespace

kube::ResourceType secure_services() {
  return {std::string(kGroup), std::string(kVersion), "secureservices", std::string(kKind), true};
}

std::string_view to_string(AdmissionMode mode) {
  switch (mode) {
    case AdmissionMode::kEnforce: return "Enforce";
    case AdmissionMode::kAudit: return "Audit";
    case AdmissionMode::kDisabled: return "Disabled";
  }
  return "";
}
std::string_view to_string(MeshProvider mesh) {
  switch (mesh) {
    case MeshProvider::kNone: return "None";
    case MeshProvider::kIstio: return "Istio";
    case MeshProvider::kLinkerd: return "Linkerd";
  }
  return "";
}
std::string_view to_string(MtlsMode mode) { return mode == MtlsMode::kStrict ? "STRICT" : "PERMISSIVE"; }
std::string_view to_string(RotationPolicy policy) { return policy == RotationPolicy::kAlways ? "Always" : "Never"; }

bool is_http_method(std::string_view method) {
  return std::find(std::begin(kHttpMethods), std::end(kHttpMethods), method) != std::end(kHttpMethods);
}

std::vector<int> SecureService::ports_for(const AllowedClient& client) const {
  if (!client.ports.empty()) return client.ports;
  std::vector<int> all;
  for (const auto& p : ports) all.push_back(p.port);
  return all;
}

Result<SecureService> parse_secure_service(const json& object) {
  Problems problems;
  SecureService out;
  if (!object.is_object()) return invalid_argument("SecureService: not an object");
  static const json kEmpty = json::object();
  const json& meta = object.contains("metadata") && object["metadata"].is_object() ? object["metadata"] : kEmpty;
  out.name = kube::string_field(meta, "name");
  out.ns = kube::string_field(meta, "namespace");
  out.uid = kube::string_field(meta, "uid");
  if (meta.contains("generation") && meta["generation"].is_number_integer())
    out.generation = meta["generation"].get<int64_t>();
  if (!is_dns_subdomain(out.name) || out.name.size() > 63)
    problems.add("metadata.name", "Invalid value: \"" + out.name +
                                      "\": must be a lowercase RFC 1123 label of at most 63 "
                                      "characters (it names Services, Secrets and policies)");
  if (out.ns.empty()) out.ns = "default";
  if (!is_dns_label(out.ns))
    problems.add("metadata.namespace", "Invalid value: \"" + out.ns + "\": must be a namespace name");

  if (!object.contains("spec") || !object["spec"].is_object())
    return invalid_argument(out.ns + "/" + out.name + ": spec: Required value");
  const json& spec = object["spec"];

  if (!spec.contains("selector")) {
    problems.add("spec.selector", "Required value");
  } else if (auto selector = selector_field(spec, "selector", "spec.selector", problems)) {
    if (selector->empty())
      problems.add("spec.selector", "Invalid value: an empty selector would select every pod in the namespace");
    out.selector = *selector;
  }
  out.service_account_name = string_or(spec, "serviceAccountName", "spec.serviceAccountName", problems, out.name);
  if (!is_dns_subdomain(out.service_account_name))
    problems.add("spec.serviceAccountName",
                 "Invalid value: \"" + out.service_account_name + "\": must be a lowercase RFC 1123 subdomain");
  read_ports(spec, out, problems);
  read_tls(spec, out, problems);

  if (const json* issuer = field(spec, "issuer", json::value_t::object, "spec.issuer", problems)) {
    if (const json* ref = field(*issuer, "caSecretRef", json::value_t::object, "spec.issuer.caSecretRef", problems)) {
      CaSecretRef r{string_or(*ref, "namespace", "spec.issuer.caSecretRef.namespace", problems, out.ns),
                    string_or(*ref, "name", "spec.issuer.caSecretRef.name", problems, "")};
      if (!is_dns_subdomain(r.name)) problems.add("spec.issuer.caSecretRef.name", "Required value: a Secret name");
      if (!is_dns_label(r.ns))
        problems.add("spec.issuer.caSecretRef.namespace", "Invalid value: \"" + r.ns + "\": must be a namespace name");
      out.ca_secret_ref = r;
    }
  }
  read_clients(spec, out, problems);
  read_authentication(spec, out, problems);

  if (const json* np = field(spec, "networkPolicy", json::value_t::object, "spec.networkPolicy", problems)) {
    out.network_policy_enabled = bool_or(*np, "enabled", "spec.networkPolicy.enabled", problems, true);
    out.allow_dns = bool_or(*np, "allowDNS", "spec.networkPolicy.allowDNS", problems, true);
    static const std::pair<const char*, bool> kEgress[] = {{"Unrestricted", false}, {"Restricted", true}};
    out.restrict_egress = enum_or(*np, "egress", "spec.networkPolicy.egress", problems, kEgress, false);
  }
  if (const json* mesh = field(spec, "mesh", json::value_t::object, "spec.mesh", problems)) {
    static const std::pair<const char*, MeshProvider> kProviders[] = {
        {"None", MeshProvider::kNone}, {"Istio", MeshProvider::kIstio}, {"Linkerd", MeshProvider::kLinkerd}};
    static const std::pair<const char*, MtlsMode> kModes[] = {{"STRICT", MtlsMode::kStrict},
                                                              {"PERMISSIVE", MtlsMode::kPermissive}};
    out.mesh = enum_or(*mesh, "provider", "spec.mesh.provider", problems, kProviders, MeshProvider::kNone);
    out.mtls_mode = enum_or(*mesh, "mtlsMode", "spec.mesh.mtlsMode", problems, kModes, MtlsMode::kStrict);
  }
  if (const json* admission = field(spec, "admission", json::value_t::object, "spec.admission", problems)) {
    static const std::pair<const char*, AdmissionMode> kModes[] = {
        {"Enforce", AdmissionMode::kEnforce}, {"Audit", AdmissionMode::kAudit}, {"Disabled", AdmissionMode::kDisabled}};
    out.admission_mode = enum_or(*admission, "mode", "spec.admission.mode", problems, kModes, AdmissionMode::kEnforce);
  }
  if (!problems.empty())
    return invalid_argument("SecureService " + out.ns + "/" + out.name + " is invalid: " + problems.joined());
  return out;
}

std::vector<std::string> service_dns_names(const SecureService& service, std::string_view cluster_domain) {
  std::vector<std::string> names = {service.name, service.name + "." + service.ns,
                                    service.name + "." + service.ns + ".svc"};
  if (!cluster_domain.empty()) names.push_back(service.name + "." + service.ns + ".svc." + std::string(cluster_domain));
  for (const auto& extra : service.tls.dns_names)
    if (std::find(names.begin(), names.end(), extra) == names.end()) names.push_back(extra);
  return names;
}

Result<pki::IdentityRequest> identity_request(const SecureService& service, std::string_view cluster_domain,
                                              std::string_view trust_domain) {
  pki::IdentityRequest request;
  request.dns_names = service_dns_names(service, cluster_domain);
  // cert-manager's habit: the CN repeats a SAN; X.509 caps it at 64 bytes, so a long name goes without.
  if (const std::string cn = service.name + "." + service.ns + ".svc"; cn.size() <= 64) request.common_name = cn;
  SSO_ASSIGN_OR_RETURN(request.spiffe_id, pki::make_spiffe_id(trust_domain, service.ns, service.service_account_name),
                       "SPIFFE ID of " + service.ns + "/" + service.name);
  request.mode = service.tls.mode;
  request.key = service.tls.key;
  request.duration = service.tls.duration;
  request.renew_before = service.tls.renew_before;
  SSO_RETURN_IF_ERROR(pki::validate(request), "identity of " + service.ns + "/" + service.name);
  return request;
}

std::optional<std::string> foreign_ca_problem(const SecureService& service) {
  if (!service.ca_secret_ref || service.ca_secret_ref->ns == service.ns) return std::nullopt;
  const CaSecretRef& ref = *service.ca_secret_ref;
  return "spec.issuer.caSecretRef: the CA Secret " + ref.ns + "/" + ref.name +
         " is in another namespace; a SecureService may only use a CA in its own namespace, as a "
         "cert-manager Issuer, or anyone who may create a SecureService could mint certificates from "
         "another team's CA: copy the CA Secret into namespace " +
         service.ns + " and set caSecretRef: {name: " + ref.name + "}";
}

}  // namespace sso::api
