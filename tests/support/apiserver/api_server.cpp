#include "apiserver/api_server.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <random>
#include <sstream>
#include <thread>

#include "apiserver/custom_resource_schema.hpp"
#include "apiserver/field_errors.hpp"
#include "apiserver/managed_fields.hpp"
#include "apiserver/openapi.hpp"
#include "apiserver/patch.hpp"
#include "apiserver/protobuf_body.hpp"
#include "apiserver/table_convertor.hpp"
#include "base/base64.hpp"
#include "base/time.hpp"

namespace sso::apiserver {

using nlohmann::json;

struct ApiServer::Route {
  ResourceType type;
  std::string version;
  std::optional<std::string> ns;  // from the URL
  std::string name;
  std::string subresource;

  ObjectKey key(const std::string& object_name) const {
    return {type.group, type.resource, type.namespaced ? ns.value_or("") : "", object_name};
  }
  std::string api_version() const { return type.group_version(version); }
  UserInfo user;  // who asks
};

namespace {

// Passes the answer on, and records the request with its code in the request log.
class RecordingResponder : public Responder {
 public:
  RecordingResponder(Responder& inner, RequestLog& log, RequestRecord record)
      : inner_(inner), log_(log), record_(std::move(record)) {}
  void respond(const ApiResponse& response) override {
    note(response.code);
    inner_.respond(response);
  }
  Stream open_stream(const std::string& content_type) override {
    note(200);
    return inner_.open_stream(content_type);
  }

 private:
  void note(int code) {
    record_.code = code;
    record_.at = std::chrono::steady_clock::now();
    log_.record(record_);
  }
  Responder& inner_;
  RequestLog& log_;
  RequestRecord record_;
};

std::string random_string(size_t n, std::string_view alphabet) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::string out;
  for (size_t i = 0; i < n; ++i) out += alphabet[rng() % alphabet.size()];
  return out;
}

std::string new_uid() {
  const std::string hex = random_string(32, "0123456789abcdef");
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-4" + hex.substr(13, 3) + "-a" + hex.substr(17, 3) + "-" +
         hex.substr(20, 12);
}

std::string now_rfc3339() { return format_rfc3339(std::chrono::system_clock::now()); }

// A review (access, token) as kube-apiserver answers its create: the spec with the status
// filled in, never stored.
ApiResponse answered_review(const std::string& kind, const std::string& api_version, const json& spec,
                            const json& status) {
  return {201,
          {{"kind", kind},
           {"apiVersion", api_version},
           {"metadata", {{"creationTimestamp", nullptr}}},
           {"spec", spec},
           {"status", status}},
          "",
          {}};
}

// apimachinery IsDNS1123Subdomain / IsDNS1123Label.
std::optional<std::string> validate_name(const std::string& name, bool label) {
  const size_t max = label ? 63 : 253;
  auto fail = [&] {
    return std::optional<std::string>(
        "Invalid value: \"" + name + "\": a lowercase RFC 1123 " + (label ? "label" : "subdomain") +
        " must consist of lower case alphanumeric characters, '-'" + (label ? "" : " or '.'") +
        ", and must start and end with an alphanumeric character");
  };
  if (name.empty() || name.size() > max) return fail();
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || (!label && c == '.');
    if (!ok) return fail();
  }
  if (!std::isalnum(static_cast<unsigned char>(name.front())) || !std::isalnum(static_cast<unsigned char>(name.back())))
    return fail();
  return std::nullopt;
}

json yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(yaml_to_json(item));
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return s;  // quoted
      if (s == "true" || s == "True") return true;
      if (s == "false" || s == "False") return false;
      if (s == "null" || s == "~" || s.empty()) return nullptr;
      try {
        size_t used = 0;
        const long long v = std::stoll(s, &used);
        if (used == s.size()) return v;
        const double d = std::stod(s, &used);
        if (used == s.size()) return d;
      } catch (const std::exception&) {
      }
      return s;
    }
    default: return nullptr;
  }
}

// Parses a request body: JSON, or YAML for the content types that allow it.
std::optional<json> parse_body(const std::string& body, std::string* error) {
  try {
    return json::parse(body);
  } catch (const json::exception&) {
  }
  try {
    YAML::Node node = YAML::Load(body);
    json out = yaml_to_json(node);
    if (out.is_object()) return out;
    *error = "the body is not a JSON or YAML object";
  } catch (const YAML::Exception& e) {
    *error = std::string("couldn't get version/kind; json parse error: ") + e.what();
  }
  return std::nullopt;
}

std::string base_content_type(const std::string& header) {
  std::string t = header.substr(0, header.find(';'));
  t.erase(std::remove(t.begin(), t.end(), ' '), t.end());
  return t;
}

std::string list_kind(const ResourceType& type) { return type.kind + "List"; }

// Webhook warnings reach the client as HTTP Warning headers (RFC 7234 code 299).
// The text is a quoted-string: quotes and backslashes in it are escaped.
void add_warnings(ApiResponse& response, const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) {
    std::string quoted;
    for (char c : w) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    response.headers.emplace_back("Warning", "299 - \"" + quoted + "\"");
  }
}

// The field manager of a write: the fieldManager parameter, else the User-Agent's product
// ("kubectl" of "kubectl/v1.32.3 (linux/amd64) ..."), as kube-apiserver derives it.
std::string field_manager(const HttpRequest& request) {
  std::string manager = request.param("fieldManager");
  if (manager.empty()) manager = request.header("user-agent").substr(0, request.header("user-agent").find('/'));
  return manager.empty() ? "unknown" : manager.substr(0, 128);
}

// Built-in list items carry no kind or apiVersion (typed Go lists), custom resources do.
json list_item(const ResourceType& type, json object, const std::string& api_version) {
  if (type.from_crd) {
    object["apiVersion"] = api_version;
  } else {
    object.erase("apiVersion");
    object.erase("kind");
  }
  return object;
}

json with_type(json object, const ResourceType& type, const std::string& api_version) {
  object["apiVersion"] = api_version;
  object["kind"] = type.kind;
  return object;
}

// Everything but metadata and status: what metadata.generation counts.
json spec_part(const json& object) {
  json copy = object;
  copy.erase("metadata");
  copy.erase("status");
  copy.erase("apiVersion");
  copy.erase("kind");
  return copy;
}

// kube-apiserver folds stringData into data on every write; stringData is never stored.
void fold_string_data(json& secret) {
  if (!secret.contains("stringData")) return;
  if (secret["stringData"].is_object())
    for (const auto& [key, value] : secret["stringData"].items())
      if (value.is_string()) secret["data"][key] = base64_encode(value.get<std::string>());
  secret.erase("stringData");
}

// A Secret's data must decode as base64 (kube-apiserver fails to decode the body: 400) and a
// kubernetes.io/tls Secret must hold tls.crt and tls.key (validation: 422).
std::optional<ApiResponse> check_secret(const ResourceType& type, const json& secret) {
  const std::string name = secret["metadata"].value("name", "");
  if (secret.contains("data") && secret["data"].is_object()) {
    for (const auto& [key, value] : secret["data"].items()) {
      if (!value.is_string() || !base64_decode(value.get<std::string>()).ok())
        return bad_request("Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data in data[" +
                           key + "]");
    }
  }
  if (secret.value("type", "") == "kubernetes.io/tls") {
    const json data = secret.value("data", json::object());
    for (const char* key : {"tls.crt", "tls.key"})
      if (!data.contains(key)) return invalid(type, name, std::string("data[") + key + "]", "Required value");
  }
  return std::nullopt;
}

json crd_status(const json& crd) {
  const json names = crd["spec"].value("names", json::object());
  const std::string now = now_rfc3339();
  return {{"acceptedNames", names},
          {"storedVersions", json::array({crd["spec"]["versions"][0].value("name", "v1")})},
          {"conditions",
           {{{"type", "NamesAccepted"},
             {"status", "True"},
             {"reason", "NoConflicts"},
             {"message", "no conflicts found"},
             {"lastTransitionTime", now}},
            {{"type", "Established"},
             {"status", "True"},
             {"reason", "InitialNamesAccepted"},
             {"message", "the initial names have been accepted"},
             {"lastTransitionTime", now}}}}};
}

// The objects a list, watch or deletecollection covers: the route's resource and namespace,
// narrowed by labelSelector and fieldSelector; a bad selector is a 400.
std::optional<ApiResponse> read_filter(const HttpRequest& request, const ResourceType& type,
                                       const std::optional<std::string>& ns, ObjectFilter& filter) {
  filter = {type.group, type.resource, type.namespaced ? ns : std::nullopt, {}, {}};
  std::string error;
  if (const auto s = request.param("labelSelector"); !s.empty()) {
    filter.labels = LabelSelector::parse(s, &error);
    if (!filter.labels) return bad_request("unable to parse requirement: " + error);
  }
  if (const auto s = request.param("fieldSelector"); !s.empty()) {
    filter.fields = FieldSelector::parse(s, type.resource, &error);
    if (!filter.fields) return bad_request(error);
  }
  return std::nullopt;
}

// What an update or patch may change: a stale resourceVersion conflicts; a write to the
// status subresource changes only status, and a write to the main resource keeps status.
std::optional<ApiResponse> shape_update(const ResourceType& type, const std::string& name,
                                        const std::string& subresource, const json& existing, json& updated) {
  const std::string want_rv = updated["metadata"].value("resourceVersion", "");
  if (!want_rv.empty() && want_rv != existing["metadata"].value("resourceVersion", ""))
    return conflict(type, name,
                    "the object has been modified; please apply your changes to the latest version and try again");
  if (subresource == "status") {
    json merged = existing;
    merged["status"] = updated.value("status", json::object());
    updated = std::move(merged);
  } else if (type.has_status) {
    if (existing.contains("status"))
      updated["status"] = existing["status"];
    else
      updated.erase("status");
  }
  return std::nullopt;
}

// Decodes a custom resource as kube-apiserver's schemaCoercingDecoder and defaulter do:
// unknown fields are dropped, and fieldValidation decides what the client hears of them
// (Strict: 400; Warn, the default: a Warning header each; Ignore: nothing); then defaults.
std::optional<ApiResponse> decode_custom_resource(const HttpRequest& request, const ResourceType& type,
                                                  const std::string& version, json& object,
                                                  std::vector<std::string>& warnings) {
  const CustomResourceSchema* schema = type.schema_for(version);
  if (schema == nullptr || !object.is_object()) return std::nullopt;
  std::string directive = request.param("fieldValidation");
  if (directive.empty()) directive = "Warn";
  if (directive != "Strict" && directive != "Warn" && directive != "Ignore")
    return bad_request("fieldValidation: Invalid value: \"" + directive +
                       "\": fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\"");
  const auto unknown = schema->prune(object);
  if (!unknown.empty() && directive == "Strict") {
    const bool apply = base_content_type(request.header("content-type")) == "application/apply-patch+yaml";
    std::string message;
    if (apply) {
      // Server-side apply types the patch with the schema (structured-merge-diff).
      message = "failed to create typed patch object (" + type.group_version(version) + ", Kind=" + type.kind + "): ";
      if (unknown.size() > 1) message += "errors:\n  ";
      for (size_t i = 0; i < unknown.size(); ++i)
        message += (i ? "\n  " : "") + ("." + unknown[i]) + ": field not declared in schema";
    } else {
      message = "strict decoding error: ";
      for (size_t i = 0; i < unknown.size(); ++i) message += (i ? ", " : "") + ("unknown field \"" + unknown[i] + "\"");
    }
    return bad_request(message);
  }
  if (directive == "Warn")
    for (const auto& path : unknown) warnings.push_back("unknown field \"" + path + "\"");
  schema->apply_defaults(object);
  return std::nullopt;
}

// kube-apiserver defaults stored custom resources again when it reads them, so that a
// default added to the schema later shows on old objects.
json default_on_read(json object, const ResourceType& type, const std::string& version) {
  if (const CustomResourceSchema* schema = type.schema_for(version)) schema->apply_defaults(object);
  return object;
}

// kube-apiserver's RequestInfo verb: from the method, whether the URL names an object, and
// ?watch for collections. Empty for a method it does not serve.
std::string resolve_verb(const HttpRequest& request, bool named) {
  const std::string& m = request.method;
  const bool watch = request.param("watch") == "true" || request.param("watch") == "1";
  if (m == "GET") return named ? "get" : (watch ? "watch" : "list");
  if (m == "POST") return "create";
  if (m == "PUT") return "update";
  if (m == "PATCH") return "patch";
  if (m == "DELETE") return named ? "delete" : "deletecollection";
  return "";
}

// RequestInfo of a resource path (`rest`: the segments after the group-version) as
// k8s.io/apiserver/pkg/endpoints/request resolves it, before anything knows whether the
// resource exists: /namespaces/NS/RESOURCE/NAME/SUB, or /RESOURCE/NAME/SUB. A namespace's
// own URL is in that namespace (GET /api/v1/namespaces/shop: namespace "shop").
AuthorizationAttributes resource_attributes(const HttpRequest& request, const UserInfo& user, const std::string& group,
                                            const std::string& version, const std::vector<std::string>& rest) {
  AuthorizationAttributes a;
  a.user = user;
  a.group = group;
  a.version = version;
  std::vector<std::string> parts = rest;
  if (!parts.empty() && parts[0] == "namespaces" && parts.size() > 1) {
    a.ns = parts[1];
    if (parts.size() > 2 && parts[2] != "status" && parts[2] != "finalize")
      parts.erase(parts.begin(), parts.begin() + 2);
  }
  if (!parts.empty()) a.resource = parts[0];
  if (parts.size() > 1) a.name = parts[1];
  if (parts.size() > 2) a.subresource = parts[2];
  a.verb = resolve_verb(request, !a.name.empty());
  if ((a.verb == "list" || a.verb == "watch") && a.name.empty())
    a.name = name_from_field_selector(request.param("fieldSelector"));
  return a;
}

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

ApiServer::ApiServer(Options options) : options_(std::move(options)), store_(options_.history_limit) {
  auto txn = store_.begin();
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    txn.put({"", "namespaces", "", ns}, {{"apiVersion", "v1"},
                                         {"kind", "Namespace"},
                                         {"metadata",
                                          {{"name", ns},
                                           {"uid", new_uid()},
                                           {"creationTimestamp", now_rfc3339()},
                                           {"labels", {{"kubernetes.io/metadata.name", ns}}}}},
                                         {"spec", {{"finalizers", {"kubernetes"}}}},
                                         {"status", {{"phase", "Active"}}}});
  }
}

void ApiServer::add_token(const std::string& token, UserInfo user) {
  std::lock_guard lock(tokens_mu_);
  tokens_[token] = std::move(user);
}

void ApiServer::tick() { store_.tick(std::chrono::steady_clock::now(), options_.bookmark_interval); }

std::optional<ResourceType> ApiServer::type_of(const ObjectKey& key) const {
  for (const auto& t : registry_.all())
    if (t.group == key.group && t.resource == key.resource) return t;
  return std::nullopt;
}

void ApiServer::handle(const HttpRequest& request, Responder& responder) {
  std::vector<std::string> segments;
  {
    std::stringstream ss(request.path);
    std::string part;
    while (std::getline(ss, part, '/'))
      if (!part.empty()) segments.push_back(part);
  }
  if (segments.size() == 1 && (segments[0] == "healthz" || segments[0] == "livez" || segments[0] == "readyz")) {
    responder.respond({200, "ok", "text/plain", {}});
    return;
  }
  if (segments.size() == 1 && segments[0] == "version") {
    responder.respond({200,
                       {{"major", "1"},
                        {"minor", "32"},
                        {"gitVersion", "v1.32.0-secureservice-testserver"},
                        {"platform", "linux/amd64"},
                        {"goVersion", "go1.23"}},
                       "",
                       {}});
    return;
  }

  // Bearer tokens, as kube-apiserver's token authenticator: anything else is 401.
  const std::string auth = request.header("authorization");
  UserInfo user;
  {
    std::lock_guard lock(tokens_mu_);
    auto it = auth.rfind("Bearer ", 0) == 0 ? tokens_.find(auth.substr(7)) : tokens_.end();
    if (it == tokens_.end()) {
      responder.respond(status_error(401, "Unauthorized", "Unauthorized"));
      return;
    }
    user = it->second;
  }

  const bool core = !segments.empty() && segments[0] == "api";
  const bool named = !segments.empty() && segments[0] == "apis";
  if (!(core && segments.size() > 2) && !(named && segments.size() > 3)) {
    // Discovery, OpenAPI and unknown paths are non-resource requests: the bootstrap policy
    // lets every authenticated user get them (system:discovery).
    AuthorizationAttributes a;
    a.user = user;
    a.resource_request = false;
    a.verb = lowercase(request.method);
    a.path = request.path;
    if (const auto decision = authorizer_.authorize(a); !decision.allowed) {
      responder.respond(forbidden_response(a, decision.reason));
      return;
    }
  }

  if (!segments.empty() && segments[0] == "openapi") {
    // v2 is an empty but valid document: clients then skip client-side validation, as they
    // do for a type the server has no schema for. v3 publishes the custom resources
    // (openapi.hpp), which is what kubectl explain reads.
    if (segments.size() == 2 && segments[1] == "v2" && request.header("accept").find("protobuf") != std::string::npos)
      // kubectl asks for the protobuf form: zero bytes are an empty, valid Document.
      responder.respond({200, "", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf", {}});
    else if (segments.size() == 2 && segments[1] == "v2")
      responder.respond({200,
                         {{"swagger", "2.0"},
                          {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
                          {"paths", json::object()},
                          {"definitions", json::object()}},
                         "",
                         {}});
    else if (segments.size() == 2 && segments[1] == "v3")
      responder.respond({200, openapi_v3_index(registry_.all()), "", {}});
    else if (auto document = segments.size() == 5 && segments[1] == "v3" && segments[2] == "apis"
                                 ? openapi_v3_document(registry_.all(), segments[3], segments[4])
                                 : std::nullopt)
      responder.respond({200, *document, "", {}});
    else
      responder.respond(status_error(404, "NotFound", "the server could not find the requested resource"));
    return;
  }

  if ((core && segments.size() <= 2) || (named && segments.size() <= 3)) {
    responder.respond(discovery(segments));
    return;
  }
  if (!core && !named) {
    responder.respond(status_error(404, "NotFound", "the server could not find the requested resource"));
    return;
  }

  Route route;
  route.user = std::move(user);
  const std::string group = core ? "" : segments[1];
  route.version = core ? segments[1] : segments[2];
  std::vector<std::string> rest(segments.begin() + (core ? 2 : 3), segments.end());
  auto find = [&](const std::string& resource) { return registry_.find(group, route.version, resource); };
  std::optional<ResourceType> type;
  if (rest.size() >= 3 && rest[0] == "namespaces" &&
      !(rest.size() == 3 && (rest[2] == "status" || rest[2] == "finalize"))) {
    type = find(rest[2]);
    if (type && type->namespaced) {
      route.ns = rest[1];
      if (rest.size() > 3) route.name = rest[3];
      if (rest.size() > 4) route.subresource = rest[4];
      if (rest.size() > 5) type.reset();
    } else {
      type.reset();
    }
  } else if (!rest.empty()) {
    type = find(rest[0]);
    if (rest.size() > 1) route.name = rest[1];
    if (rest.size() > 2) route.subresource = rest[2];
    if (rest.size() > 3 || (type && type->namespaced && rest.size() > 1)) type.reset();
  }
  if (!type) {
    // kube-apiserver authorizes before it routes: a resource it does not serve is a 404 only
    // to a user who may ask for it.
    const auto a = resource_attributes(request, route.user, group, route.version, rest);
    if (const auto decision = authorizer_.authorize(a); !decision.allowed) {
      responder.respond(forbidden_response(a, decision.reason));
      return;
    }
    responder.respond(status_error(404, "NotFound", "the server could not find the requested resource"));
    return;
  }
  route.type = *type;
  if (!route.subresource.empty() && !((route.subresource == "status" && type->has_status) ||
                                      (route.subresource == "finalize" && type->resource == "namespaces"))) {
    responder.respond(status_error(404, "NotFound", "the server could not find the requested resource"));
    return;
  }
  serve_resource(request, route, responder);
}

// Plain discovery documents: clients that ask for aggregated discovery fall back to them.
ApiResponse ApiServer::discovery(const std::vector<std::string>& segments) {
  const auto types = registry_.all();
  auto resource_list = [&](const std::string& group, const std::string& version) {
    json resources = json::array();
    for (const auto& t : types) {
      if (t.group != group || std::find(t.versions.begin(), t.versions.end(), version) == t.versions.end()) continue;
      json verbs = t.verbs.empty()
                       ? json{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
                       : json(t.verbs);
      json r = {{"name", t.resource},
                {"singularName", t.singular},
                {"namespaced", t.namespaced},
                {"kind", t.kind},
                {"verbs", verbs}};
      if (!t.short_names.empty()) r["shortNames"] = t.short_names;
      resources.push_back(r);
      if (t.has_status)
        resources.push_back({{"name", t.resource + "/status"},
                             {"singularName", ""},
                             {"namespaced", t.namespaced},
                             {"kind", t.kind},
                             {"verbs", {"get", "patch", "update"}}});
    }
    return json{{"kind", "APIResourceList"},
                {"apiVersion", "v1"},
                {"groupVersion", group.empty() ? version : group + "/" + version},
                {"resources", resources}};
  };
  auto group_json = [&](const std::string& group) {
    json versions = json::array();
    std::vector<std::string> seen;
    std::string preferred;
    for (const auto& t : types) {
      if (t.group != group) continue;
      for (const auto& v : t.versions) {
        if (preferred.empty()) preferred = v;
        if (std::find(seen.begin(), seen.end(), v) != seen.end()) continue;
        seen.push_back(v);
        versions.push_back({{"groupVersion", group + "/" + v}, {"version", v}});
      }
    }
    return json{{"name", group},
                {"versions", versions},
                {"preferredVersion", {{"groupVersion", group + "/" + preferred}, {"version", preferred}}}};
  };
  if (segments[0] == "api") {
    if (segments.size() == 1)
      return {
          200,
          {{"kind", "APIVersions"},
           {"versions", {"v1"}},
           {"serverAddressByClientCIDRs", {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", options_.server_address}}}}},
          {}};
    if (segments[1] != "v1") return status_error(404, "NotFound", "the server could not find the requested resource");
    return {200, resource_list("", "v1"), {}};
  }
  if (segments.size() == 1) {
    json groups = json::array();
    std::vector<std::string> seen;
    for (const auto& t : types) {
      if (t.group.empty() || std::find(seen.begin(), seen.end(), t.group) != seen.end()) continue;
      seen.push_back(t.group);
      groups.push_back(group_json(t.group));
    }
    return {200, {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}}, {}};
  }
  const bool known = std::any_of(types.begin(), types.end(), [&](const auto& t) { return t.group == segments[1]; });
  if (!known) return status_error(404, "NotFound", "the server could not find the requested resource");
  if (segments.size() == 2) {
    json g = group_json(segments[1]);
    g["kind"] = "APIGroup";
    g["apiVersion"] = "v1";
    return {200, g, {}};
  }
  json list = resource_list(segments[1], segments[2]);
  if (list["resources"].empty())
    return status_error(404, "NotFound", "the server could not find the requested resource");
  return {200, list, {}};
}

void ApiServer::serve_resource(const HttpRequest& request, const Route& route, Responder& responder) {
  if (base_content_type(request.header("content-type")) == "application/vnd.kubernetes.protobuf" &&
      !request.body.empty()) {
    std::string error;
    auto decoded = decode_protobuf_object(request.body, &error);
    if (!decoded) {
      responder.respond(unsupported_media_type("application/vnd.kubernetes.protobuf: " + error));
      return;
    }
    HttpRequest as_json = request;
    as_json.body = decoded->dump();
    as_json.headers["content-type"] = "application/json";
    return serve_resource(as_json, route, responder);
  }
  const std::string verb = resolve_verb(request, !route.name.empty());
  if (verb.empty()) {
    responder.respond(method_not_allowed("the server does not allow this method on the requested resource"));
    return;
  }
  RecordingResponder recording(
      responder, request_log_,
      {std::chrono::steady_clock::now(), route.user.name, request.header("user-agent"), verb, route.type.group,
       route.type.resource, route.subresource, route.ns.value_or(""), route.name, 0});
  // RBAC, after authentication and before anything else looks at the request (a denied
  // request is in the request log with its 403, as in kube-apiserver's audit log).
  AuthorizationAttributes a;
  a.user = route.user;
  a.verb = verb;
  a.group = route.type.group;
  a.version = route.version;
  a.resource = route.type.resource;
  a.subresource = route.subresource;
  a.ns = route.ns.value_or("");
  if (route.type.resource == "namespaces" && !route.name.empty()) a.ns = route.name;
  a.name = route.name;
  if ((verb == "list" || verb == "watch") && a.name.empty())
    a.name = name_from_field_selector(request.param("fieldSelector"));
  if (const auto decision = authorizer_.authorize(a); !decision.allowed) {
    recording.respond(forbidden_response(a, decision.reason));
    return;
  }
  serve_verb(request, route, verb, recording);
}

void ApiServer::serve_verb(const HttpRequest& request, const Route& route, const std::string& verb,
                           Responder& responder) {
  if (const auto latency = faults_.latency(); latency.count() > 0) std::this_thread::sleep_for(latency);
  if (auto injected = faults_.take(verb, route.type.resource)) {
    responder.respond(*injected);
    return;
  }
  if (!route.type.verbs.empty() &&
      std::find(route.type.verbs.begin(), route.type.verbs.end(), verb) == route.type.verbs.end()) {
    responder.respond(method_not_allowed("the server does not allow this method on the requested resource"));
    return;
  }
  if (route.type.group == "authorization.k8s.io" &&
      (route.type.resource == "selfsubjectaccessreviews" || route.type.resource == "subjectaccessreviews"))
    return responder.respond(review_access(request, route));
  if (route.type.group == "authentication.k8s.io" && route.type.resource == "tokenreviews")
    return responder.respond(review_token(request, route));
  if ((verb == "create" && !route.name.empty() && route.subresource.empty()) ||
      ((verb == "update" || verb == "patch") && route.name.empty())) {
    responder.respond(method_not_allowed("the server does not allow this method on the requested resource"));
    return;
  }
  if (verb == "watch") return watch_objects(request, route, responder);
  ApiResponse response;
  if (verb == "get")
    response = get_object(route);
  else if (verb == "list")
    response = list_objects(request, route);
  else if (verb == "create")
    response = create_object(request, route, field_manager(request));
  else if (verb == "update")
    response = update_object(request, route);
  else if (verb == "patch")
    response = patch_object(request, route);
  else if (verb == "delete")
    response = delete_object(request, route);
  else
    response = delete_collection(request, route);
  if ((verb == "get" || verb == "list") && response.code == 200) {
    if (!valid_include_object(request.param("includeObject")))
      response = bad_request("unrecognized includeObject value: \"" + request.param("includeObject") + "\"");
    else if (auto table = wants_table(request.header("accept"), request.param("includeObject")))
      response.body = to_table(route.type, route.version, response.body, *table, std::chrono::system_clock::now());
  }
  responder.respond(response);
}

// pkg/registry/authorization/selfsubjectaccessreview and subjectaccessreview: the spec's
// attributes, for the requester (self) or the spec's user and groups; nothing is stored.
ApiResponse ApiServer::review_access(const HttpRequest& request, const Route& route) {
  std::string error;
  auto review = parse_body(request.body, &error);
  if (!review) return bad_request(error);
  const json spec = review->value("spec", json::object());
  const bool resource = spec.contains("resourceAttributes") && spec["resourceAttributes"].is_object();
  const bool non_resource = spec.contains("nonResourceAttributes") && spec["nonResourceAttributes"].is_object();
  if (resource == non_resource)
    return invalid(route.type, "", "spec.resourceAttributes",
                   std::string("Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes ") +
                       "must be specified");
  AuthorizationAttributes a;
  if (route.type.resource == "selfsubjectaccessreviews") {
    a.user = route.user;
  } else {
    a.user.name = spec.value("user", "");
    for (const auto& g : spec.value("groups", json::array()))
      if (g.is_string()) a.user.groups.push_back(g.get<std::string>());
    if (a.user.name.empty() && a.user.groups.empty())
      return invalid(route.type, "", "spec.user",
                     "Invalid value: \"\": at least one of user or group must be specified");
  }
  if (resource) {
    const json& r = spec["resourceAttributes"];
    a.verb = r.value("verb", "");
    a.group = r.value("group", "");
    a.version = r.value("version", "");
    a.resource = r.value("resource", "");
    a.subresource = r.value("subresource", "");
    a.ns = r.value("namespace", "");
    a.name = r.value("name", "");
  } else {
    a.resource_request = false;
    a.verb = spec["nonResourceAttributes"].value("verb", "");
    a.path = spec["nonResourceAttributes"].value("path", "");
  }
  const auto decision = authorizer_.authorize(a);
  json status = {{"allowed", decision.allowed}};
  if (!decision.reason.empty()) status["reason"] = decision.reason;
  return answered_review(route.type.kind, route.api_version(), spec, status);
}

// pkg/registry/authentication/tokenreview: whether the spec's token authenticates, and as
// whom; nothing is stored.
ApiResponse ApiServer::review_token(const HttpRequest& request, const Route& route) {
  std::string error;
  auto review = parse_body(request.body, &error);
  if (!review) return bad_request(error);
  const json spec = review->value("spec", json::object());
  const std::string token = spec.value("token", "");
  if (token.empty()) return bad_request("token is required for TokenReview in authentication");
  json status = {{"authenticated", false}};
  {
    std::lock_guard lock(tokens_mu_);
    if (const auto it = tokens_.find(token); it != tokens_.end()) {
      status = {{"authenticated", true}, {"user", {{"username", it->second.name}, {"groups", it->second.groups}}}};
    }
  }
  if (!status["authenticated"].get<bool>()) status["error"] = "invalid bearer token";
  return answered_review(route.type.kind, route.api_version(), spec, status);
}

ApiResponse ApiServer::get_object(const Route& route) {
  auto txn = store_.begin();
  auto object = txn.get(route.key(route.name));
  if (!object) return not_found(route.type, route.name);
  return {200, with_type(default_on_read(*object, route.type, route.version), route.type, route.api_version()), {}};
}

ApiResponse ApiServer::list_objects(const HttpRequest& request, const Route& route) {
  ObjectFilter filter;
  if (auto bad = read_filter(request, route.type, route.ns, filter)) return *bad;
  size_t limit = 0;
  if (const auto l = request.param("limit"); !l.empty()) limit = std::strtoull(l.c_str(), nullptr, 10);
  // The continue token names the last key returned and the version the list started at.
  std::string after_ns, after_name;
  uint64_t token_rv = 0;
  if (const auto c = request.param("continue"); !c.empty()) {
    auto decoded = base64_decode(c);
    json token;
    if (decoded.ok()) token = json::parse(*decoded, nullptr, false);
    if (!token.is_object()) return bad_request("continue key is not valid: illegal base64 data");
    after_ns = token.value("ns", "");
    after_name = token.value("name", "");
    token_rv = token.value("rv", uint64_t{0});
  }
  auto txn = store_.begin();
  const uint64_t rv = txn.current_rv();
  json items = json::array();
  std::string next;
  size_t remaining = 0;
  for (const auto& [key, object] : txn.list(filter)) {
    if (!after_name.empty() && std::tie(key.ns, key.name) <= std::tie(after_ns, after_name)) continue;
    if (limit > 0 && items.size() == limit) {
      ++remaining;
      continue;
    }
    items.push_back(list_item(route.type, default_on_read(object, route.type, route.version), route.api_version()));
    if (limit > 0 && items.size() == limit)
      next = base64_encode(json{{"ns", key.ns}, {"name", key.name}, {"rv", token_rv ? token_rv : rv}}.dump());
  }
  json meta = {{"resourceVersion", std::to_string(rv)}};
  if (remaining > 0) {
    meta["continue"] = next;
    meta["remainingItemCount"] = remaining;
  }
  return {200,
          {{"kind", list_kind(route.type)}, {"apiVersion", route.api_version()}, {"metadata", meta}, {"items", items}},
          {}};
}

void ApiServer::watch_objects(const HttpRequest& request, const Route& route, Responder& responder) {
  auto stream = std::make_shared<WatchStream>();
  if (auto bad = read_filter(request, route.type, route.ns, stream->filter)) return responder.respond(*bad);
  std::optional<uint64_t> since;
  const std::string rv = request.param("resourceVersion");
  if (!rv.empty() && rv != "0") {
    char* end = nullptr;
    since = std::strtoull(rv.c_str(), &end, 10);
    if (*end != '\0') return responder.respond(bad_request("invalid resource version \"" + rv + "\""));
  }
  auto timeout = options_.max_watch_timeout;
  if (const auto t = request.param("timeoutSeconds"); !t.empty())
    timeout = std::min(timeout, std::chrono::seconds(std::strtoll(t.c_str(), nullptr, 10)));
  stream->deadline = std::chrono::steady_clock::now() + timeout;
  stream->bookmarks = request.param("allowWatchBookmarks") == "true";
  stream->kind = route.type.kind;
  stream->api_version = route.api_version();

  if (!valid_include_object(request.param("includeObject")))
    return responder.respond(
        bad_request("unrecognized includeObject value: \"" + request.param("includeObject") + "\""));
  // `kubectl get -w` asks for Table events: each carries its row, the first also the columns.
  const auto table = wants_table(request.header("accept"), request.param("includeObject"));
  auto sent_columns = std::make_shared<bool>(false);

  Responder::Stream out = responder.open_stream("application/json");
  stream->send = [write = out.write, type = route.type, version = route.version, api_version = stream->api_version,
                  table, sent_columns](const json& event) {
    json e = event;
    if (e["object"].is_object() && e["type"] != "BOOKMARK" && e["type"] != "ERROR") {
      e["object"] = with_type(default_on_read(e["object"], type, version), type, api_version);
      if (table) {
        e["object"] = to_table(type, version, e["object"], *table, std::chrono::system_clock::now(), !*sent_columns);
        *sent_columns = true;
      }
    }
    return write(e.dump() + "\n");
  };
  stream->close = out.close;
  uint64_t oldest = 0;
  if (!store_.start_watch(stream, since, &oldest)) {
    // kube-apiserver answers 200 and sends the 410 as an ERROR event, then ends the stream.
    const ApiResponse expired = gone("too old resource version: " + rv + " (" + std::to_string(oldest) + ")");
    out.write(json{{"type", "ERROR"}, {"object", expired.body}}.dump() + "\n");
    out.close();
  }
}

ApiResponse ApiServer::create_object(const HttpRequest& request, const Route& route, const std::string& manager) {
  std::string error;
  auto parsed = parse_body(request.body, &error);
  if (!parsed) return bad_request(error);
  json object = std::move(*parsed);
  const ResourceType& type = route.type;
  if (object.contains("kind") && object["kind"] != type.kind)
    return bad_request("the kind in the data (" + object.value("kind", "") + ") does not match the expected kind (" +
                       type.kind + ")");
  if (object.contains("apiVersion") && object["apiVersion"] != route.api_version())
    return bad_request("the API version in the data (" + object.value("apiVersion", "") +
                       ") does not match the expected API version (" + route.api_version() + ")");
  std::vector<std::string> warnings;
  if (auto bad = decode_custom_resource(request, type, route.version, object, warnings)) return *bad;
  json& meta = object["metadata"];
  if (!meta.is_object()) meta = json::object();
  std::string name = meta.value("name", "");
  if (name.empty() && !meta.value("generateName", "").empty())
    name = meta.value("generateName", "") + random_string(5, "bcdfghjklmnpqrstvwxz2456789");
  if (name.empty()) return invalid(type, "", "metadata.name", "Required value: name or generateName is required");
  if (auto bad = validate_name(name, type.resource == "namespaces" || type.resource == "services"))
    return invalid(type, name, "metadata.name", *bad);
  if (type.namespaced) {
    if (meta.contains("namespace") && meta["namespace"] != route.ns.value_or(""))
      return bad_request("the namespace of the provided object does not match the namespace sent on the request");
    meta["namespace"] = route.ns.value_or("");
  } else {
    meta.erase("namespace");
  }
  meta["name"] = name;
  if (type.resource == "pods" && object.contains("spec") && object["spec"].is_object() &&
      (!object["spec"].contains("serviceAccountName") || object["spec"]["serviceAccountName"] == "")) {
    // kube-apiserver's ServiceAccount admission plugin, which runs before any webhook.
    object["spec"]["serviceAccountName"] = "default";
  }
  if (type.resource == "secrets") {
    if (object.value("type", "").empty()) object["type"] = "Opaque";  // defaulting
    fold_string_data(object);
  }
  if (type.resource == "secrets")
    if (auto bad = check_secret(type, object)) return *bad;
  meta["uid"] = new_uid();
  meta["creationTimestamp"] = now_rfc3339();
  meta.erase("resourceVersion");
  meta.erase("deletionTimestamp");
  meta.erase("deletionGracePeriodSeconds");
  if (type.has_spec && type.resource != "namespaces") meta["generation"] = 1;
  object["apiVersion"] = route.api_version();
  object["kind"] = type.kind;
  if (type.has_status) object.erase("status");
  if (type.resource == "namespaces") {
    object["spec"]["finalizers"] = json::array({"kubernetes"});
    object["status"] = {{"phase", "Active"}};
    meta["labels"]["kubernetes.io/metadata.name"] = name;
  }
  if (type.resource == "customresourcedefinitions") {
    if (auto problem = ResourceRegistry().add_crd(object)) return invalid(type, name, "spec", *problem);
    if (auto errors = validate_crd_schemas(object); !errors.empty()) return invalid_object(type, name, errors);
    object["status"] = crd_status(object);
  }
  if (const CustomResourceSchema* schema = type.schema_for(route.version))
    if (auto errors = schema->validate(object, nullptr); !errors.empty()) return invalid_object(type, name, errors);

  auto txn = store_.begin();
  const ObjectKey key = route.key(name);
  if (type.namespaced) {
    auto ns = txn.get({"", "namespaces", "", key.ns});
    if (!ns)
      return status_error(404, "NotFound", "namespaces \"" + key.ns + "\" not found",
                          {{"name", key.ns}, {"kind", "namespaces"}});
    if ((*ns)["metadata"].contains("deletionTimestamp"))
      return status_error(403, "Forbidden",
                          qualified_resource(type) + " \"" + name +
                              "\" is forbidden: unable to create new content in namespace " + key.ns +
                              " because it is being terminated",
                          {{"name", name},
                           {"kind", type.resource},
                           {"causes",
                            {{{"reason", "NamespaceTerminating"},
                              {"message", "namespace " + key.ns + " is terminating"},
                              {"field", "metadata.namespace"}}}}});
  }
  if (txn.get(key)) return already_exists(type, name);
  if (auto denied = admit(txn, route, "CREATE", name, object, nullptr, request.param("dryRun") == "All", warnings)) {
    add_warnings(*denied, warnings);
    return *denied;
  }
  if (txn.get(key)) return already_exists(type, name);  // created while the webhooks ran
  if (!manager.empty()) record_update(nullptr, object, manager, route.api_version(), now_rfc3339());
  ApiResponse response{201, object, "", {}};
  if (request.param("dryRun") != "All") {
    response.body = txn.put(key, object);
    after_write(type, response.body, false);
  }
  add_warnings(response, warnings);
  return response;
}

ApiResponse ApiServer::commit_update(ObjectStore::Transaction& txn, const Route& route, const json& existing,
                                     json updated, bool dry_run, const std::string& manager,
                                     std::vector<std::string> warnings) {
  const ResourceType& type = route.type;
  json& meta = updated["metadata"];
  const json& old_meta = existing["metadata"];
  // Immutable or server-owned metadata.
  for (const char* field : {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "name",
                            "namespace", "generation"}) {
    if (old_meta.contains(field))
      meta[field] = old_meta[field];
    else
      meta.erase(field);
  }
  if (old_meta.contains("deletionTimestamp") &&
      meta.value("finalizers", json::array()).size() > old_meta.value("finalizers", json::array()).size())
    return forbidden("no new finalizers can be added if the object is being deleted");
  if (type.has_spec && old_meta.contains("generation") && spec_part(existing) != spec_part(updated))
    meta["generation"] = old_meta["generation"].get<int64_t>() + 1;
  if (type.resource == "secrets") {
    fold_string_data(updated);
    if (auto bad = check_secret(type, updated)) return *bad;
  }
  if (type.resource == "customresourcedefinitions")
    if (auto errors = validate_crd_schemas(updated); !errors.empty())
      return invalid_object(type, meta.value("name", ""), errors);
  if (const CustomResourceSchema* schema = type.schema_for(route.version))
    if (auto errors = schema->validate(updated, &existing); !errors.empty()) {
      ApiResponse response = invalid_object(type, meta.value("name", ""), errors);
      add_warnings(response, warnings);
      return response;
    }
  // Ownership is the server's record: what the client sent there is replaced.
  if (existing["metadata"].contains("managedFields") && !manager.empty())
    meta["managedFields"] = existing["metadata"]["managedFields"];
  if (!manager.empty()) record_update(existing, updated, manager, route.api_version(), now_rfc3339());
  updated["apiVersion"] = existing.value("apiVersion", route.api_version());
  updated["kind"] = type.kind;
  meta["resourceVersion"] = old_meta["resourceVersion"];
  if (updated == existing) {  // no write, no event
    ApiResponse response{200, with_type(existing, type, route.api_version()), "", {}};
    add_warnings(response, warnings);
    return response;
  }
  const ObjectKey key = route.key(meta.value("name", ""));
  if (auto denied = admit(txn, route, "UPDATE", key.name, updated, existing, dry_run, warnings)) {
    add_warnings(*denied, warnings);
    return *denied;
  }
  // Optimistic concurrency across the webhook calls, as GuaranteedUpdate's precondition.
  auto current = txn.get(key);
  if (!current || (*current)["metadata"].value("resourceVersion", "") != old_meta.value("resourceVersion", ""))
    return conflict(type, key.name,
                    "the object has been modified; please apply your changes to the latest version and try again");
  if (dry_run) return {200, with_type(updated, type, route.api_version()), {}};
  // `meta` may be gone: a mutating webhook's patch replaced the object.
  const json& final_meta = updated["metadata"];
  if (final_meta.contains("deletionTimestamp") && final_meta.value("finalizers", json::array()).empty()) {
    remove_and_collect(txn, type, key);
    return {200, with_type(updated, type, route.api_version()), {}};
  }
  json stored = txn.put(key, updated);
  after_write(type, stored, false);
  ApiResponse response{200, with_type(stored, type, route.api_version()), "", {}};
  add_warnings(response, warnings);
  return response;
}

ApiResponse ApiServer::update_object(const HttpRequest& request, const Route& route) {
  std::string error;
  auto parsed = parse_body(request.body, &error);
  if (!parsed) return bad_request(error);
  json updated = std::move(*parsed);
  const std::string body_name = updated["metadata"].value("name", "");
  if (body_name != route.name)
    return bad_request("the name of the object (" + body_name + ") does not match the name on the URL (" + route.name +
                       ")");
  std::vector<std::string> warnings;
  if (auto bad = decode_custom_resource(request, route.type, route.version, updated, warnings)) return *bad;
  auto txn = store_.begin();
  auto existing = txn.get(route.key(route.name));
  if (!existing) return not_found(route.type, route.name);
  if (updated["metadata"].value("resourceVersion", "").empty() && route.type.from_crd)
    return invalid(route.type, route.name, "metadata.resourceVersion",
                   "Invalid value: 0x0: must be specified for an update");
  if (auto bad = shape_update(route.type, route.name, route.subresource, *existing, updated)) return *bad;
  return commit_update(txn, route, *existing, std::move(updated), request.param("dryRun") == "All",
                       field_manager(request), std::move(warnings));
}

namespace {

// kube-apiserver's answer to an apply that would take fields from another manager.
ApiResponse apply_conflict(const ResourceType& type, const std::string& name, const std::string& api_version,
                           const std::vector<ApplyConflict>& conflicts) {
  std::string message =
      "Apply failed with " + std::to_string(conflicts.size()) + " conflict" + (conflicts.size() == 1 ? "" : "s") + ": ";
  json causes = json::array();
  for (size_t i = 0; i < conflicts.size(); ++i) {
    const std::string text = "conflict with \"" + conflicts[i].manager + "\" using " + api_version;
    message += (i ? "\n" : "") + text + ": " + conflicts[i].field;
    causes.push_back({{"reason", "FieldManagerConflict"}, {"message", text}, {"field", conflicts[i].field}});
  }
  json details = {{"name", name}, {"kind", type.resource}, {"causes", causes}};
  if (!type.group.empty()) details["group"] = type.group;
  return status_error(409, "Conflict", message, details);
}

}  // namespace

ApiResponse ApiServer::patch_object(const HttpRequest& request, const Route& route) {
  const std::string content_type = base_content_type(request.header("content-type"));
  const bool apply = content_type == "application/apply-patch+yaml";
  if (apply && request.param("fieldManager").empty())
    return bad_request("PATCH, application/apply-patch+yaml requires fieldManager to be set");
  std::string error;
  {
    auto txn = store_.begin();
    auto existing = txn.get(route.key(route.name));
    if (existing) {
      json patched;
      std::string manager = field_manager(request);
      if (apply) {
        auto patch = parse_body(request.body, &error);
        if (!patch) return bad_request(error);
        ApplyOutcome outcome = server_side_apply(*existing, *patch, manager, request.param("force") == "true",
                                                 route.api_version(), now_rfc3339());
        if (!outcome.conflicts.empty())
          return apply_conflict(route.type, route.name, route.api_version(), outcome.conflicts);
        patched = std::move(outcome.object);
        manager.clear();  // the apply recorded ownership itself
      } else if (content_type == "application/merge-patch+json" ||
                 content_type == "application/strategic-merge-patch+json") {
        // A strategic merge patch is served as a JSON merge patch: lists are replaced whole.
        auto patch = parse_body(request.body, &error);
        if (!patch) return bad_request(error);
        patched = apply_merge_patch(*existing, *patch);
      } else if (content_type == "application/json-patch+json") {
        json patch = json::parse(request.body, nullptr, false);
        auto result = apply_json_patch(*existing, patch, &error);
        if (!result) return status_error(422, "Invalid", error);
        patched = std::move(*result);
      } else {
        return unsupported_media_type(content_type);
      }
      std::vector<std::string> warnings;
      if (auto bad = decode_custom_resource(request, route.type, route.version, patched, warnings)) return *bad;
      if (auto bad = shape_update(route.type, route.name, route.subresource, *existing, patched)) return *bad;
      return commit_update(txn, route, *existing, std::move(patched), request.param("dryRun") == "All", manager,
                           std::move(warnings));
    }
    if (!apply || !route.subresource.empty()) return not_found(route.type, route.name);
  }
  // Server-side apply creates what does not exist yet.
  auto parsed = parse_body(request.body, &error);
  if (!parsed) return bad_request(error);
  (*parsed)["metadata"]["name"] = route.name;
  ApplyOutcome outcome =
      server_side_apply(nullptr, *parsed, field_manager(request), true, route.api_version(), now_rfc3339());
  HttpRequest create = request;
  create.body = outcome.object.dump();
  return create_object(create, route, "");
}

std::optional<ApiResponse> ApiServer::admit(ObjectStore::Transaction& txn, const Route& route,
                                            const std::string& operation, const std::string& name, json& object,
                                            const json& old_object, bool dry_run, std::vector<std::string>& warnings) {
  if (enforce_owner_references_ && (operation == "CREATE" || operation == "UPDATE"))
    if (auto denied = check_owner_references(txn, route, operation, name, object, old_object)) return denied;
  // kube-apiserver never sends webhook configurations to webhooks, so none can lock itself out.
  if (route.type.group == "admissionregistration.k8s.io") return std::nullopt;
  AdmissionSnapshot snapshot;
  for (auto& [key, config] :
       txn.list({"admissionregistration.k8s.io", "mutatingwebhookconfigurations", std::nullopt, {}, {}}))
    snapshot.mutating.push_back(config);
  for (auto& [key, config] :
       txn.list({"admissionregistration.k8s.io", "validatingwebhookconfigurations", std::nullopt, {}, {}}))
    snapshot.validating.push_back(config);
  if (snapshot.empty()) return std::nullopt;
  const std::string ns = route.type.namespaced ? route.ns.value_or("") : "";
  if (!ns.empty())
    if (auto ns_object = txn.get({"", "namespaces", "", ns}))
      snapshot.namespace_labels = (*ns_object)["metadata"].value("labels", json::object());
  AdmissionAttributes attributes{operation, route.type, route.version, route.subresource, name,
                                 ns,        object,     old_object,    route.user,        dry_run};
  txn.unlock();
  AdmissionResult result = admission_.admit(attributes, snapshot);
  txn.relock();
  warnings.insert(warnings.end(), result.warnings.begin(), result.warnings.end());
  if (result.denial) return result.denial;
  if (!object.is_null()) object = std::move(result.object);
  return std::nullopt;
}

// plugin/pkg/admission/gc/gc_admission.go. Its denials are admission.NewForbidden: the
// resource's 403 with the plugin's error, whose authorizer error is always nil: ", <nil>".
std::optional<ApiResponse> ApiServer::check_owner_references(const ObjectStore::Transaction& txn, const Route& route,
                                                             const std::string& operation, const std::string& name,
                                                             const json& object, const json& old_object) {
  auto refs = [](const json& o) {
    return o.is_object() && o.contains("metadata") ? o["metadata"].value("ownerReferences", json::array())
                                                   : json::array();
  };
  const json new_refs = refs(object);
  const json old_refs = refs(old_object);
  if (new_refs == old_refs) return std::nullopt;  // isChangingOwnerReference
  const std::string ns = route.type.namespaced ? route.ns.value_or("") : "";
  const std::string object_name = name.empty() && object.is_object() ? object["metadata"].value("name", "") : name;
  auto forbid = [&](const std::string& why) {
    json details = {{"name", object_name}, {"kind", route.type.resource}};
    if (!route.type.group.empty()) details["group"] = route.type.group;
    if (object_name.empty()) details.erase("name");
    const std::string qualified = qualified_resource(route.type);
    return status_error(
        403, "Forbidden",
        (object_name.empty() ? qualified : qualified + " \"" + object_name + "\"") + " is forbidden: " + why, details);
  };
  // Whoever creates an object could delete it; everyone else needs delete to change its owners.
  if (operation != "CREATE") {
    AuthorizationAttributes del{route.user,          "delete",          true, route.type.group, route.version,
                                route.type.resource, route.subresource, ns,   object_name,      ""};
    if (const auto d = RbacAuthorizer::authorize(del, txn); !d.allowed)
      return forbid("cannot set an ownerRef on a resource you can't delete: " + d.reason + ", <nil>");
  }
  // newBlockingOwnerDeletionRefs: blocking references that were not blocking before.
  for (const auto& ref : new_refs) {
    if (!ref.value("blockOwnerDeletion", false)) continue;
    const bool was_blocking = std::any_of(old_refs.begin(), old_refs.end(), [&](const json& o) {
      return o.value("uid", "") == ref.value("uid", "") && o.value("blockOwnerDeletion", false);
    });
    if (was_blocking) continue;
    const std::string api_version = ref.value("apiVersion", "");
    const auto slash = api_version.find('/');
    const std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
    const std::string version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
    const auto owner = registry_.find_kind(group, ref.value("kind", ""));
    if (!owner)
      return forbid("cannot set blockOwnerDeletion in this case because cannot find RESTMapping for APIVersion " +
                    api_version + " Kind " + ref.value("kind", "") + ": no matches for kind \"" +
                    ref.value("kind", "") + "\" in version \"" + api_version + "\"");
    AuthorizationAttributes finalizers{
        route.user, "update", true, group, version, owner->resource, "finalizers", ns, ref.value("name", ""), ""};
    if (const auto d = RbacAuthorizer::authorize(finalizers, txn); !d.allowed)
      return forbid(
          "cannot set blockOwnerDeletion if an ownerReference refers to a resource you can't set finalizers on: " +
          d.reason + ", <nil>");
  }
  return std::nullopt;
}

void ApiServer::after_write(const ResourceType& type, const json& object, bool deleted) {
  if (type.resource != "customresourcedefinitions") return;
  if (deleted) {
    const json spec = object.value("spec", json::object());
    registry_.remove_crd(spec.value("group", ""), spec["names"].value("plural", ""));
  } else {
    registry_.add_crd(object);
  }
}

void ApiServer::collect_dependents(ObjectStore::Transaction& txn, const std::string& owner_uid) {
  // The garbage collector: a dependent whose owners are all gone is deleted; one that still
  // has an owner loses only the dangling reference.
  std::vector<std::pair<ObjectKey, json>> dependents;
  std::map<std::string, bool> uid_exists;
  for (const auto& t : registry_.all()) {
    for (auto& [key, object] : txn.list({t.group, t.resource, std::nullopt, {}, {}})) {
      uid_exists[object["metadata"].value("uid", "")] = true;
      for (const auto& ref : object["metadata"].value("ownerReferences", json::array()))
        if (ref.value("uid", "") == owner_uid) dependents.emplace_back(key, object);
    }
  }
  for (auto& [key, object] : dependents) {
    const json refs = object["metadata"]["ownerReferences"];
    json remaining = json::array();
    for (const auto& ref : refs)
      if (uid_exists.count(ref.value("uid", "")) && ref.value("uid", "") != owner_uid) remaining.push_back(ref);
    auto type = type_of(key);
    if (!type) continue;
    if (remaining.empty()) {
      delete_with_finalizers(txn, *type, key, "Background");
    } else if (remaining.size() != refs.size()) {
      object["metadata"]["ownerReferences"] = remaining;
      txn.put(key, object);
    }
  }
}

void ApiServer::finish_namespace_if_empty(ObjectStore::Transaction& txn, const std::string& ns) {
  auto namespace_object = txn.get({"", "namespaces", "", ns});
  if (!namespace_object || !(*namespace_object)["metadata"].contains("deletionTimestamp")) return;
  if (!txn.list_namespace(ns).empty()) return;
  // The namespace controller's last step: drop the "kubernetes" finalizer, then the namespace.
  remove_and_collect(txn, *registry_.find("", "v1", "namespaces"), {"", "namespaces", "", ns});
}

void ApiServer::remove_and_collect(ObjectStore::Transaction& txn, const ResourceType& type, const ObjectKey& key) {
  json removed = txn.remove(key);
  if (removed.is_null()) return;
  after_write(type, removed, true);
  if (type.resource == "customresourcedefinitions") {
    const json spec = removed.value("spec", json::object());
    for (auto& [k, o] : txn.list({spec.value("group", ""), spec["names"].value("plural", ""), std::nullopt, {}, {}}))
      txn.remove(k);
  }
  collect_dependents(txn, removed["metadata"].value("uid", ""));
  if (!key.ns.empty()) finish_namespace_if_empty(txn, key.ns);
}

json ApiServer::delete_with_finalizers(ObjectStore::Transaction& txn, const ResourceType& type, const ObjectKey& key,
                                       const std::string& propagation) {
  auto object = txn.get(key);
  if (!object) return nullptr;
  json& meta = (*object)["metadata"];
  if (propagation == "Orphan") {
    // Orphaned dependents keep living without the reference to this owner.
    const std::string uid = meta.value("uid", "");
    for (const auto& t : registry_.all()) {
      for (auto& [k, o] : txn.list({t.group, t.resource, std::nullopt, {}, {}})) {
        auto refs = o["metadata"].value("ownerReferences", json::array());
        json kept = json::array();
        for (const auto& r : refs)
          if (r.value("uid", "") != uid) kept.push_back(r);
        if (kept.size() != refs.size()) {
          o["metadata"]["ownerReferences"] = kept;
          txn.put(k, o);
        }
      }
    }
  }
  if (type.resource == "namespaces") {
    if (!meta.contains("deletionTimestamp")) {
      meta["deletionTimestamp"] = now_rfc3339();
      (*object)["status"]["phase"] = "Terminating";
      *object = txn.put(key, *object);
    }
    for (auto& [k, o] : txn.list_namespace(key.name)) {
      if (auto t = type_of(k)) delete_with_finalizers(txn, *t, k, "Background");
    }
    finish_namespace_if_empty(txn, key.name);
    return *object;
  }
  if (!meta.value("finalizers", json::array()).empty()) {
    if (!meta.contains("deletionTimestamp")) {
      meta["deletionTimestamp"] = now_rfc3339();
      meta["deletionGracePeriodSeconds"] = 0;
      return txn.put(key, *object);
    }
    return *object;
  }
  json removed = *object;
  remove_and_collect(txn, type, key);
  return removed;
}

ApiResponse ApiServer::delete_object(const HttpRequest& request, const Route& route) {
  json options = request.body.empty() ? json::object() : json::parse(request.body, nullptr, false);
  if (!options.is_object()) return bad_request("the body of a DELETE must be DeleteOptions");
  std::string propagation = request.param("propagationPolicy");
  if (propagation.empty()) propagation = options.value("propagationPolicy", "Background");
  auto txn = store_.begin();
  const ObjectKey key = route.key(route.name);
  auto existing = txn.get(key);
  if (!existing) return not_found(route.type, route.name);
  const json pre = options.value("preconditions", json::object());
  const json& meta = (*existing)["metadata"];
  if (pre.contains("uid") && pre["uid"] != meta.value("uid", ""))
    return conflict(route.type, route.name,
                    "Precondition failed: UID in precondition: " + pre.value("uid", "") +
                        ", UID in object meta: " + meta.value("uid", ""));
  if (pre.contains("resourceVersion") && pre["resourceVersion"] != meta.value("resourceVersion", ""))
    return conflict(route.type, route.name,
                    "Precondition failed: ResourceVersion in precondition: " + pre.value("resourceVersion", "") +
                        ", ResourceVersion in object meta: " + meta.value("resourceVersion", ""));
  std::vector<std::string> warnings;
  json no_object;
  if (auto denied =
          admit(txn, route, "DELETE", route.name, no_object, *existing, request.param("dryRun") == "All", warnings))
    return *denied;
  if (request.param("dryRun") == "All") return {200, with_type(*existing, route.type, route.api_version()), {}};
  if (!txn.get(key)) return not_found(route.type, route.name);
  json result = delete_with_finalizers(txn, route.type, key, propagation);
  if (route.type.from_crd || route.type.resource == "pods" || route.type.resource == "namespaces" ||
      result["metadata"].contains("deletionTimestamp"))
    return {200, with_type(result, route.type, route.api_version()), {}};
  return {200, success_status(route.type, route.name), {}};
}

ApiResponse ApiServer::delete_collection(const HttpRequest& request, const Route& route) {
  ObjectFilter filter;
  if (auto bad = read_filter(request, route.type, route.ns, filter)) return *bad;
  auto txn = store_.begin();
  json items = json::array();
  for (auto& [key, object] : txn.list(filter)) {
    items.push_back(list_item(route.type, object, route.api_version()));
    delete_with_finalizers(txn, route.type, key, "Background");
  }
  return {200,
          {{"kind", list_kind(route.type)},
           {"apiVersion", route.api_version()},
           {"metadata", {{"resourceVersion", std::to_string(txn.current_rv())}}},
           {"items", items}},
          {}};
}

}  // namespace sso::apiserver
