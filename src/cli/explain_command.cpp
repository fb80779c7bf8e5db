#include <algorithm>
#include <map>
#include <ostream>
#include <set>

#include "api/secure_service.hpp"
#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "cli/manifest_files.hpp"
#include "cli/usage.hpp"
#include "controller/access_map.hpp"
#include "kube/cluster_config.hpp"
#include "kube/resource.hpp"
#include "kube/rest_client.hpp"

namespace sso::cli {
namespace {

using controller::AccessMap;
using controller::CallAnswer;
using controller::Request;
using nlohmann::json;

constexpr const char* kCommand = "explain";

// The SecureServices of the cluster (every namespace the kubeconfig's user may list), parsed
// as the operator parses them; one it would refuse is left out, with a warning.
Result<std::vector<api::SecureService>> read_cluster(const std::string& kubeconfig, std::ostream& err) {
  SSO_ASSIGN_OR_RETURN(auto config, kube::resolve_cluster_config(kubeconfig, kube::process_environment()));
  SSO_ASSIGN_OR_RETURN(auto client, kube::RestClient::create(config, {}));
  SSO_ASSIGN_OR_RETURN(auto list, client->list_all(api::secure_services(), "", kube::ListOptions{.limit = 500}),
                       "list SecureServices");
  std::vector<api::SecureService> services;
  for (const auto& o : list.items) {
    auto parsed = api::parse_secure_service(o);
    if (parsed.ok())
      services.push_back(std::move(*parsed));
    else
      err << "warning: SecureService " << kube::object_key(o) << " left out: " << parsed.error().message() << "\n";
  }
  return services;
}

Result<std::vector<api::SecureService>> read_files(const std::vector<std::string>& files, std::istream& in) {
  std::optional<std::string> stdin_text;
  SSO_ASSIGN_OR_RETURN(auto objects, read_manifest_files(files, in, stdin_text));
  SSO_ASSIGN_OR_RETURN(auto inputs, read_secure_services(objects, "default"));
  std::vector<api::SecureService> services;
  services.reserve(inputs.size());
  for (auto& input : inputs) services.push_back(std::move(input.service));
  return services;
}

json answer_json(const CallAnswer& answer) {
  json layers = json::array();
  for (const auto& l : answer.layers)
    layers.push_back(
        {{"layer", l.layer}, {"verdict", std::string(controller::to_string(l.verdict))}, {"reason", l.reason}});
  const auto* denied = answer.denied_by();
  return {
      {"allowed", answer.allowed()}, {"deniedBy", denied ? json(denied->layer) : json(nullptr)}, {"layers", layers}};
}

void print_layers(const CallAnswer& answer, std::ostream& out) {
  for (const auto& l : answer.layers)
    out << "    " << l.layer << ": " << controller::to_string(l.verdict) << ": " << l.reason << "\n";
}

std::string mesh_text(const api::SecureService& s) {
  if (s.mesh == api::MeshProvider::kNone) return "no mesh";
  return std::string(api::to_string(s.mesh)) + " " + std::string(api::to_string(s.mtls_mode));
}

void print_map(const AccessMap& map, std::ostream& out) {
  const auto edges = map.edges();
  for (const auto& s : map.services()) {
    std::string ports;
    for (const auto& p : s.ports) ports += (ports.empty() ? "" : ", ") + std::to_string(p.port) + "/" + p.protocol;
    out << s.ns << "/" << s.name << " (ports " << ports << "; "
        << (s.network_policy_enabled ? "NetworkPolicy" : "no NetworkPolicy") << "; " << mesh_text(s) << ")\n";
    bool any = false;
    for (const auto& e : edges) {
      if (e.to != s.ns + "/" + s.name) continue;
      any = true;
      const auto* denied = e.answer.denied_by();
      out << "  <- " << e.from.name << " on " << e.port << ": "
          << (denied ? "DENIED by " + denied->layer + ": " + denied->reason : std::string("allowed")) << "\n";
      if (!denied) print_layers(e.answer, out);
    }
    if (!any) out << "  (no allowed clients: every caller is refused where a layer is enforced)\n";
  }
}

json map_json(const AccessMap& map) {
  json services = json::array();
  for (const auto& s : map.services()) {
    json ports = json::array();
    for (const auto& p : s.ports) ports.push_back({{"port", p.port}, {"protocol", p.protocol}});
    services.push_back({{"namespace", s.ns},
                        {"name", s.name},
                        {"ports", ports},
                        {"networkPolicy", s.network_policy_enabled},
                        {"mesh", std::string(api::to_string(s.mesh))}});
  }
  json calls = json::array();
  for (const auto& e : map.edges()) {
    json call = answer_json(e.answer);
    call["from"] = e.from.name;
    call["to"] = e.to;
    call["port"] = e.port;
    calls.push_back(std::move(call));
  }
  return {{"services", services}, {"calls", calls}};
}

// A DOT string literal.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Namespaces as clusters, SecureServices as boxes, plain pods as ellipses; an allowed call a
// green edge labelled with its port, a denied one red and dashed, with the layer that denies.
void print_dot(const AccessMap& map, std::ostream& out) {
  out << "digraph access {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n"
      << "  edge [fontname=\"Helvetica\", fontsize=10];\n";
  std::map<std::string, std::vector<const api::SecureService*>> by_ns;
  for (const auto& s : map.services()) by_ns[s.ns].push_back(&s);
  for (const auto& [ns, services] : by_ns) {
    out << "  subgraph " << quoted("cluster_" + ns) << " {\n    label=" << quoted("namespace " + ns) << ";\n";
    for (const auto* s : services)
      out << "    " << quoted(s->ns + "/" + s->name) << " [label=" << quoted(s->name + "\n" + mesh_text(*s)) << "];\n";
    out << "  }\n";
  }
  const auto edges = map.edges();
  std::set<std::string> drawn;  // callers that are not a SecureService of the map: plain pods, missing ones
  for (const auto& s : map.services()) drawn.insert(s.ns + "/" + s.name);
  for (const auto& e : edges)
    if (drawn.insert(e.from.name).second) {
      std::string label = e.from.name;
      if (const auto in = label.find(" in "); in != std::string::npos) label.replace(in, 4, "\nin ");
      out << "  " << quoted(e.from.name) << " [shape=ellipse, style=dashed, label=" << quoted(label) << "];\n";
    }
  for (const auto& e : edges) {
    const auto* denied = e.answer.denied_by();
    out << "  " << quoted(e.from.name) << " -> " << quoted(e.to)
        << " [label=" << quoted(std::to_string(e.port) + (denied ? " denied: " + denied->layer : ""))
        << (denied ? ", color=red, fontcolor=red, style=dashed" : ", color=darkgreen") << "];\n";
  }
  out << "}\n";
}

Result<std::pair<std::string, std::string>> service_ref(const std::string& flag, const std::string& value) {
  const auto slash = value.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == value.size() ||
      value.find('/', slash + 1) != std::string::npos)
    return invalid_argument("--" + flag + " " + value + ": want NAMESPACE/NAME of a SecureService");
  return std::make_pair(value.substr(0, slash), value.substr(slash + 1));
}

}  // namespace

int run_explain(const std::vector<std::string>& args, CommandContext& ctx) {
  std::vector<std::string> files;
  std::string kubeconfig, output = "text", from, to, port_text, method, path, jwt_issuer;
  controller::ClusterSettings settings;
  FlagSet flags(kCommand, "",
                "Prints who may call whom: for every allowedClients entry of every SecureService, each port,\n"
                "whether the call is allowed and through which layers (the caller's egress NetworkPolicy, the\n"
                "callee's ingress NetworkPolicy, JWT, Istio or Linkerd authorization), evaluated over the\n"
                "objects the operator writes. The SecureServices come from -f, or else from the cluster. With\n"
                "--from, --to and --port it answers one call: allowed, with what allows it, or denied, with the\n"
                "first layer that denies it and why; --method, --path and --jwt-issuer say what the request is.\n"
                "Exit code: 0 (a call: allowed), 1 failed (a call: denied), 2 bad usage.");
  flags.add_string_list(
      "filename", 'f', &files,
      "read SecureServices from a file, a directory of them, or - (repeatable); default: the cluster");
  flags.add_string("kubeconfig", 0, &kubeconfig, "kubeconfig file; default $KUBECONFIG or ~/.kube/config");
  flags.add_string("output", 'o', &output, "text, json or dot (Graphviz)");
  flags.add_string("from", 0, &from, "the calling SecureService, NAMESPACE/NAME");
  flags.add_string("to", 0, &to, "the called SecureService, NAMESPACE/NAME");
  flags.add_string("port", 0, &port_text, "the port called");
  flags.add_string("method", 0, &method, "the request's HTTP method (default GET when --path is given)");
  flags.add_string("path", 0, &path, "the request's path (default / when --method is given)");
  flags.add_string("jwt-issuer", 0, &jwt_issuer, "the request carries a valid JWT of this issuer; default: no token");
  flags.add_string("trust-domain", 0, &settings.trust_domain, "the SPIFFE trust domain of workload identities");
  if (auto code = parse_or_exit_code(flags, args, ctx)) return *code;
  if (output != "text" && output != "json" && output != "dot")
    return usage_error(ctx, kCommand, "-o " + output + ": want text, json or dot");
  const bool question = !from.empty() || !to.empty() || !port_text.empty();
  if (question && (from.empty() || to.empty() || port_text.empty()))
    return usage_error(ctx, kCommand, "--from, --to and --port go together");
  if (question && output == "dot") return usage_error(ctx, kCommand, "-o dot draws the whole map, not one call");
  Request request;
  if (!method.empty() || !path.empty() || !jwt_issuer.empty()) {
    if (!question)
      return usage_error(ctx, kCommand,
                         "--method, --path and --jwt-issuer describe a call: add --from, --to and --port");
    if (!method.empty() && !api::is_http_method(method))
      return usage_error(ctx, kCommand, "--method " + method + ": want " + std::string(api::kHttpMethodsText));
    if (!path.empty() && path.front() != '/')
      return usage_error(ctx, kCommand, "--path " + path + ": want a path starting with /");
    if (!method.empty() || !path.empty()) {
      request.method = method.empty() ? "GET" : method;
      request.path = path.empty() ? "/" : path;
    }
    if (!jwt_issuer.empty()) request.jwt_issuer = jwt_issuer;
  }
  int port = 0;
  if (question) {
    try {
      size_t used = 0;
      port = std::stoi(port_text, &used);
      if (used != port_text.size() || port < 1 || port > 65535) throw std::out_of_range("port");
    } catch (const std::exception&) {
      return usage_error(ctx, kCommand, "--port " + port_text + ": want a port number, 1 to 65535");
    }
  }
  std::pair<std::string, std::string> from_ref, to_ref;
  if (question) {
    auto f = service_ref("from", from);
    if (!f.ok()) return usage_error(ctx, kCommand, f.error().message());
    auto t = service_ref("to", to);
    if (!t.ok()) return usage_error(ctx, kCommand, t.error().message());
    from_ref = *f;
    to_ref = *t;
  }

  auto services = files.empty() ? read_cluster(kubeconfig, ctx.err) : read_files(files, ctx.in);
  if (!services.ok()) return command_error(ctx, kCommand, services.error().describe());
  const AccessMap map(std::move(*services), settings);

  if (!question) {
    if (output == "json")
      ctx.out << map_json(map).dump(2) << "\n";
    else if (output == "dot")
      print_dot(map, ctx.out);
    else
      print_map(map, ctx.out);
    return kExitOk;
  }
  const api::SecureService* caller = map.find(from_ref.first, from_ref.second);
  const api::SecureService* callee = map.find(to_ref.first, to_ref.second);
  if (!caller) return command_error(ctx, kCommand, "no SecureService " + from);
  if (!callee) return command_error(ctx, kCommand, "no SecureService " + to);
  const CallAnswer answer = map.call(AccessMap::caller_of(*caller), *callee, port, request);
  if (output == "json") {
    json j = answer_json(answer);
    j["from"] = from;
    j["to"] = to;
    j["port"] = port;
    if (request.asks_operation()) {
      j["method"] = request.method;
      j["path"] = request.path;
    }
    ctx.out << j.dump(2) << "\n";
  } else {
    const auto* denied = answer.denied_by();
    ctx.out << (denied ? "denied: " + from + " may not call " : "allowed: " + from + " may call ") << to << " on port "
            << port << (request.asks_operation() ? " for " + request.method + " " + request.path : "")
            << (denied ? " (" + denied->layer + ": " + denied->reason + ")" : "") << "\n";
    print_layers(answer, ctx.out);
  }
  return answer.allowed() ? kExitOk : kExitFailure;
}

}  // namespace sso::cli
