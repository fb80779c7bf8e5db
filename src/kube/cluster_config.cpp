#include "kube/cluster_config.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <system_error>
#include <vector>

#include "base/base64.hpp"

extern "C" {
extern char** environ;
}

namespace sso::kube {
namespace {

namespace fs = std::filesystem;

// Far above any real kubeconfig, CA bundle, certificate or token; stops a wrong path
// (/dev/zero, a disk image) from filling memory.
constexpr size_t kMaxFileBytes = size_t{16} << 20;

Error read_error(int err, const std::string& label) {
  ErrorCode code = ErrorCode::kFailedPrecondition;
  if (err == ENOENT || err == ENOTDIR) code = ErrorCode::kNotFound;
  if (err == EACCES || err == EPERM) code = ErrorCode::kPermissionDenied;
  std::string message = std::generic_category().message(err);
  if (!label.empty()) message = label + ": " + message;
  return Error(code, std::move(message));
}

void wipe(std::string& bytes) {
  if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
  bytes.clear();
}

// Reads a whole file. `label` starts every error message: the path, or a phrase instead of
// it where the "path" might be a secret pasted into the wrong field. Regular files are read
// into a buffer sized once, so key bytes are not left behind in freed reallocations.
Result<std::string> read_file(const fs::path& path, const std::string& label) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return read_error(errno, label);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  size_t capacity = size_t{64} * 1024;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
    capacity = std::min(static_cast<size_t>(st.st_size), kMaxFileBytes) + 1;  // +1: see EOF without growing
  std::string out(capacity, '\0');
  size_t used = 0;
  for (;;) {
    if (used == out.size()) {
      if (out.size() > kMaxFileBytes) {
        wipe(out);
        return resource_exhausted((label.empty() ? "" : label + ": ") + "larger than " +
                                  std::to_string(kMaxFileBytes >> 20) + " MiB");
      }
      out.resize(std::min(out.size() * 2, kMaxFileBytes + 1));
    }
    const ssize_t n = ::read(fd, out.data() + used, out.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      wipe(out);
      return read_error(err, label);
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  out.resize(used);
  return out;
}

// strings.TrimSpace, as client-go's cachedFileTokenSource applies to a token file.
std::string trim_space(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return std::string(s.substr(begin, s.find_last_not_of(kSpace) - begin + 1));
}

// Names from the file go into one-line messages: no control characters, bounded length.
std::string printable(std::string_view s) {
  constexpr size_t kMax = 253;
  std::string out;
  for (const char c : s.substr(0, kMax)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (s.size() > kMax) out += "...";
  return out;
}

std::string one_line(std::string_view s) { return printable(s.substr(0, 300)); }

std::string lookup(const std::map<std::string, std::string>& env, const std::string& name) {
  const auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

// ---- kubeconfig ----

// An entry of clusters, contexts or users: {name: N, cluster|context|user: {...}}.
struct NamedEntry {
  std::string name;
  YAML::Node body;  // always a mapping
};

// A string field. Absent, null and "" all mean unset, as Go's zero value does.
Result<std::string> string_field(const YAML::Node& map, const char* key, const std::string& where) {
  const YAML::Node node = map[key];
  if (!node || node.IsNull()) return std::string();
  if (!node.IsScalar()) return invalid_argument(where + key + ": not a string");
  return node.Scalar();
}

// Set as Go sees it: not absent, null, "" or empty.
bool is_set(const YAML::Node& map, const char* key) {
  const YAML::Node node = map[key];
  if (!node || node.IsNull()) return false;
  return node.IsScalar() ? !node.Scalar().empty() : node.size() > 0;
}

// clientcmd's v1 conversion (Convert_Slice_v1_NamedCluster_To_Map_string_To_Pointer_api_Cluster
// and its siblings) refuses duplicate names; so do we, without printing the list as it does.
Result<std::vector<NamedEntry>> read_list(const YAML::Node& doc, const std::string& list, const char* kind) {
  std::vector<NamedEntry> out;
  const YAML::Node node = doc[list];
  if (!node || node.IsNull()) return out;
  if (!node.IsSequence()) return invalid_argument(list + ": not a list");
  for (size_t i = 0; i < node.size(); ++i) {
    const YAML::Node item = node[i];
    const std::string entry = list + ": entry " + std::to_string(i + 1);
    if (!item.IsMap()) return invalid_argument(entry + " is not a mapping");
    SSO_ASSIGN_OR_RETURN(std::string name, string_field(item, "name", entry + ": "));
    for (const NamedEntry& seen : out)
      if (seen.name == name) return invalid_argument(list + ": duplicate name \"" + printable(name) + "\"");
    // Not assigned to a YAML::Node variable: yaml-cpp's Node::operator= rewrites the node it
    // refers to, inside the document.
    const YAML::Node body = item[kind];
    if (body && !body.IsNull() && !body.IsMap())
      return invalid_argument(list + "[" + printable(name) + "]." + kind + ": not a mapping");
    out.push_back({std::move(name), body && body.IsMap() ? body : YAML::Node(YAML::NodeType::Map)});
  }
  return out;
}

const NamedEntry* find_entry(const std::vector<NamedEntry>& entries, const std::string& name) {
  for (const NamedEntry& e : entries)
    if (e.name == name) return &e;
  return nullptr;
}

// clientcmd's ResolveLocalPaths: relative to the directory of the file the entry came from.
fs::path resolve_path(const fs::path& base_dir, const std::string& value) {
  const fs::path p(value);
  return p.is_absolute() ? p : base_dir / p;
}

Result<std::string> decode_data(const YAML::Node& map, const char* key, const std::string& where) {
  SSO_ASSIGN_OR_RETURN(std::string text, string_field(map, key, where));
  if (text.empty()) return text;
  auto decoded = base64_decode(text);
  if (!decoded.ok()) {
    // base64_decode's messages ("base64: illegal character") never quote the input.
    std::string reason = decoded.error().message();
    if (reason.rfind("base64: ", 0) == 0) reason = reason.substr(8);
    return invalid_argument(where + key + ": not valid base64 (" + reason + ")");
  }
  return std::move(decoded).value();
}

// `data_key` (base64) wins over `file_key` (a path), as rest.TLSClientConfig documents
// ("CAData takes precedence over CAFile") and clientcmd's validation says ("... will override").
// clientcmd's ConfirmUsable also reports the pair as a validation error; we accept it.
// `show_path`: false for a field that may hold a secret pasted in by mistake, such as PEM or
// base64 key text in client-key instead of client-key-data; its errors then omit the value.
Result<std::string> data_or_file(const YAML::Node& map, const char* data_key, const char* file_key,
                                 const std::string& where, const fs::path& base_dir, bool show_path) {
  SSO_ASSIGN_OR_RETURN(std::string data, decode_data(map, data_key, where));
  if (!data.empty()) return data;
  SSO_ASSIGN_OR_RETURN(const std::string file, string_field(map, file_key, where));
  if (file.empty()) return std::string();
  const fs::path path = resolve_path(base_dir, file);
  const std::string label = show_path ? path.string() : "cannot read the file it names";
  auto content = read_file(path, label);
  if (!content.ok()) return std::move(content).error().add_context(where + file_key);
  // An empty CA file must not silently mean "trust the system roots"; an empty cert or key is
  // as much a mistake.
  if (content->empty()) return invalid_argument(where + file_key + ": " + (show_path ? label + ": " : "") + "empty");
  return std::move(content).value();
}

Status check_server(const std::string& server, const std::string& field) {
  if (server.empty()) return invalid_argument(field + ": not set");
  std::string_view rest;
  if (server.rfind("https://", 0) == 0) {
    rest = std::string_view(server).substr(8);
  } else if (server.rfind("http://", 0) == 0) {
    rest = std::string_view(server).substr(7);
  } else {
    // Not echoed: a server URL may carry user:password@.
    return invalid_argument(field + ": must start with https:// or http://");
  }
  if (rest.empty() || rest.front() == '/') return invalid_argument(field + ": no host after the scheme");
  return ok_status();
}

// Fields clientcmd understands that we do not. Ignoring them would connect differently from
// kubectl (another identity, no proxy, another TLS name), so each is refused by name.
struct Unsupported {
  const char* key;
  const char* why;
};
constexpr Unsupported kUnsupportedUserFields[] = {
    {"exec", "exec credential plugins are not supported (use a token, tokenFile or client certificate)"},
    {"auth-provider", "auth-provider plugins are not supported (use a token, tokenFile or client certificate)"},
    {"username", "basic authentication is not supported"},
    {"password", "basic authentication is not supported"},
    {"as", "impersonation is not supported"},
    {"as-uid", "impersonation is not supported"},
    {"as-groups", "impersonation is not supported"},
    {"as-user-extra", "impersonation is not supported"},
};
constexpr Unsupported kUnsupportedClusterFields[] = {
    {"proxy-url", "proxies are not supported"},
    {"tls-server-name", "a TLS server name other than the server's host is not supported"},
};

Status read_cluster(const NamedEntry& cluster, const fs::path& base_dir, ClusterConfig& out) {
  const std::string where = "clusters[" + printable(cluster.name) + "].";
  const YAML::Node& body = cluster.body;
  for (const Unsupported& u : kUnsupportedClusterFields)
    if (is_set(body, u.key)) return unimplemented(where + u.key + ": " + u.why);

  SSO_ASSIGN_OR_RETURN(out.server, string_field(body, "server", where));
  SSO_RETURN_IF_ERROR(check_server(out.server, where + "server"));
  SSO_ASSIGN_OR_RETURN(
      out.ca_pem, data_or_file(body, "certificate-authority-data", "certificate-authority", where, base_dir, true));

  const YAML::Node insecure = body["insecure-skip-tls-verify"];
  if (insecure && !insecure.IsNull()) {
    bool value = false;
    if (!insecure.IsScalar() || !YAML::convert<bool>::decode(insecure, value))
      return invalid_argument(where + "insecure-skip-tls-verify: not a boolean");
    out.insecure_skip_tls_verify = value;
  }
  // client-go's transport.TLSConfigFor: "specifying a root certificates file with the insecure
  // flag is not allowed".
  if (out.insecure_skip_tls_verify && !out.ca_pem.empty())
    return invalid_argument(where + "insecure-skip-tls-verify: not allowed together with a certificate authority");
  return ok_status();
}

Status read_user(const NamedEntry& user, const fs::path& base_dir, ClusterConfig& out) {
  const std::string where = "users[" + printable(user.name) + "].";
  const YAML::Node& body = user.body;
  for (const Unsupported& u : kUnsupportedUserFields)
    if (is_set(body, u.key)) return unimplemented(where + u.key + ": " + u.why);

  SSO_ASSIGN_OR_RETURN(out.client_cert_pem,
                       data_or_file(body, "client-certificate-data", "client-certificate", where, base_dir, true));
  {
    auto key = data_or_file(body, "client-key-data", "client-key", where, base_dir, false);
    if (!key.ok()) return std::move(key).error();
    out.client_key_pem = pki::SecretBytes(std::move(key).value());
  }
  // clientcmd's validateAuthInfo: "client-key-data or client-key must be specified for %v to
  // use the clientCert authentication method". A key without a certificate is silently unused
  // by client-go (transport.Config.HasCertAuth); here it is a mistake worth saying.
  if (!out.client_cert_pem.empty() && out.client_key_pem.empty())
    return invalid_argument(where + "client-certificate: set without client-key or client-key-data");
  if (out.client_cert_pem.empty() && !out.client_key_pem.empty())
    return invalid_argument(where + "client-key: set without client-certificate or client-certificate-data");

  SSO_ASSIGN_OR_RETURN(out.bearer_token, string_field(body, "token", where));
  SSO_ASSIGN_OR_RETURN(const std::string token_file, string_field(body, "tokenFile", where));
  if (!token_file.empty()) {
    out.bearer_token_file = resolve_path(base_dir, token_file).string();
    // clientcmd reads tokenFile at load time only when there is no token (and fails if it
    // cannot); with a token, the file is read later and the token is the fallback.
    if (out.bearer_token.empty()) {
      // The path is not echoed: a token pasted into tokenFile would be.
      auto content = read_file(out.bearer_token_file, "cannot read the file it names");
      if (!content.ok()) return std::move(content).error().add_context(where + "tokenFile");
      const bool empty = trim_space(*content).empty();
      wipe(*content);
      if (empty) return invalid_argument(where + "tokenFile: the file it names is empty");
    }
  }
  return ok_status();
}

Result<ClusterConfig> parse_kubeconfig(const YAML::Node& doc, const fs::path& path, const fs::path& base_dir,
                                       const std::string& requested_context) {
  // An empty file is an empty config to clientcmd; it then has no current-context.
  if (!doc.IsNull() && !doc.IsMap()) return invalid_argument("not a kubeconfig (the top level is not a mapping)");
  const YAML::Node top = doc.IsNull() ? YAML::Node(YAML::NodeType::Map) : doc;

  std::string context_name = requested_context;
  if (context_name.empty()) {
    SSO_ASSIGN_OR_RETURN(context_name, string_field(top, "current-context", ""));
    if (context_name.empty())
      return invalid_argument("current-context is not set (use --context or set current-context)");
  }
  SSO_ASSIGN_OR_RETURN(const auto contexts, read_list(top, "contexts", "context"));
  SSO_ASSIGN_OR_RETURN(const auto clusters, read_list(top, "clusters", "cluster"));
  SSO_ASSIGN_OR_RETURN(const auto users, read_list(top, "users", "user"));

  const NamedEntry* context = find_entry(contexts, context_name);
  if (context == nullptr)
    return not_found(std::string(requested_context.empty() ? "current-context: " : "") + "context \"" +
                     printable(context_name) + "\" not found in contexts");
  const std::string where = "contexts[" + printable(context_name) + "]";

  // clientcmd would carry on with an empty cluster or user for a name that is not in the
  // list ("no server found", or anonymous); a dangling name is a typo, so we say so.
  SSO_ASSIGN_OR_RETURN(const std::string cluster_name, string_field(context->body, "cluster", where + "."));
  if (cluster_name.empty()) return invalid_argument(where + ".cluster: not set");
  const NamedEntry* cluster = find_entry(clusters, cluster_name);
  if (cluster == nullptr)
    return not_found(where + ": cluster \"" + printable(cluster_name) + "\" not found in clusters");

  ClusterConfig out;
  out.source = "kubeconfig " + path.string() + " (context " + printable(context_name) + ")";
  SSO_RETURN_IF_ERROR(read_cluster(*cluster, base_dir, out));

  // No user is anonymous access, as clientcmd's ConfirmUsable allows.
  SSO_ASSIGN_OR_RETURN(const std::string user_name, string_field(context->body, "user", where + "."));
  if (!user_name.empty()) {
    const NamedEntry* user = find_entry(users, user_name);
    if (user == nullptr) return not_found(where + ": user \"" + printable(user_name) + "\" not found in users");
    SSO_RETURN_IF_ERROR(read_user(*user, base_dir, out));
  }
  return out;
}

Result<ClusterConfig> read_kubeconfig(const fs::path& path, const std::string& context) {
  SSO_ASSIGN_OR_RETURN(std::string text, read_file(path, ""));
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  if (ec) absolute = path;
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's parser messages give line and column and quote no content.
    wipe(text);
    return invalid_argument("not YAML: " + one_line(e.what()));
  }
  wipe(text);
  try {
    return parse_kubeconfig(doc, path, absolute.parent_path(), context);
  } catch (const YAML::Exception& e) {
    // The checks above keep to valid node operations; this is a backstop.
    return invalid_argument("not a readable kubeconfig: " + one_line(e.what()));
  }
}

// ---- in-cluster ----

bool is_port(const std::string& s) {
  if (s.empty() || s.size() > 5) return false;
  for (const char c : s)
    if (c < '0' || c > '9') return false;
  const int port = std::stoi(s);
  return port > 0 && port <= 65535;
}

// Go's net.JoinHostPort: a host with a colon (IPv6) goes in brackets.
std::string join_host_port(const std::string& host, const std::string& port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port;
  return host + ":" + port;
}

Result<ClusterConfig> read_in_cluster(const std::map<std::string, std::string>& env, const fs::path& dir) {
  // rest.InClusterConfig treats an empty variable as unset (ErrNotInCluster).
  const std::string host = lookup(env, "KUBERNETES_SERVICE_HOST");
  const std::string port = lookup(env, "KUBERNETES_SERVICE_PORT");
  if (host.empty() && port.empty())
    return failed_precondition("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not in a pod)");
  if (host.empty()) return failed_precondition("KUBERNETES_SERVICE_HOST is not set");
  if (port.empty()) return failed_precondition("KUBERNETES_SERVICE_PORT is not set");
  if (!is_port(port)) return invalid_argument("KUBERNETES_SERVICE_PORT: \"" + printable(port) + "\" is not a port");

  ClusterConfig out;
  out.server = "https://" + join_host_port(host, port);
  out.source = "in-cluster";

  // rest.InClusterConfig only logs an unreadable ca.crt and goes on with the system roots; an
  // API server certificate signed by a public CA is not what a pod should quietly trust.
  const fs::path ca = dir / "ca.crt";
  SSO_ASSIGN_OR_RETURN(out.ca_pem, read_file(ca, ca.string()));
  if (out.ca_pem.empty()) return failed_precondition(ca.string() + ": empty");

  // Read now, as rest.InClusterConfig does, to fail at start rather than at the first request;
  // kept as a file because kubelet rotates the projected token.
  const fs::path token = dir / "token";
  SSO_ASSIGN_OR_RETURN(std::string content, read_file(token, token.string()));
  const bool empty = trim_space(content).empty();
  wipe(content);
  if (empty) return failed_precondition(token.string() + ": empty");
  out.bearer_token_file = token.string();
  return out;
}

}  // namespace

Result<ClusterConfig> load_kubeconfig(const fs::path& path, const std::string& context) {
  auto config = read_kubeconfig(path, context);
  if (!config.ok()) return std::move(config).error().add_context("kubeconfig " + path.string());
  return config;
}

Result<ClusterConfig> load_in_cluster(const std::map<std::string, std::string>& env,
                                      const fs::path& service_account_dir) {
  auto config = read_in_cluster(env, service_account_dir);
  if (!config.ok()) return std::move(config).error().add_context("in-cluster configuration");
  return config;
}

Result<ClusterConfig> resolve_cluster_config(const std::string& kubeconfig_flag,
                                             const std::map<std::string, std::string>& env) {
  return resolve_cluster_config(kubeconfig_flag, env, kServiceAccountDir);
}

Result<ClusterConfig> resolve_cluster_config(const std::string& kubeconfig_flag,
                                             const std::map<std::string, std::string>& env,
                                             const fs::path& service_account_dir) {
  if (!kubeconfig_flag.empty()) return load_kubeconfig(kubeconfig_flag);

  // $KUBECONFIG may be a colon-separated list. clientcmd merges every file in it (the first to
  // set a key wins, missing files are skipped); we read only the first non-empty entry, and a
  // missing one is an error rather than silently skipped.
  const std::string kubeconfig_env = lookup(env, "KUBECONFIG");
  std::string first;
  for (size_t begin = 0; begin <= kubeconfig_env.size() && first.empty();) {
    const size_t end = std::min(kubeconfig_env.find(':', begin), kubeconfig_env.size());
    first = kubeconfig_env.substr(begin, end - begin);
    begin = end + 1;
  }
  if (!first.empty()) {
    auto config = load_kubeconfig(first);
    if (!config.ok()) return std::move(config).error().add_context("$KUBECONFIG");
    return config;
  }

  std::vector<std::string> tried = {"no --kubeconfig", "$KUBECONFIG is not set"};
  // controller-runtime tries in-cluster only without $KUBECONFIG, and when that fails goes on
  // to the home kubeconfig (logging the in-cluster error); we keep that error for the message.
  if (!lookup(env, "KUBERNETES_SERVICE_HOST").empty()) {
    auto config = load_in_cluster(env, service_account_dir);
    if (config.ok()) return config;
    tried.push_back(config.error().describe());
  } else {
    tried.push_back("KUBERNETES_SERVICE_HOST is not set (not in a pod)");
  }

  // clientcmd's RecommendedHomeFile. controller-runtime also asks os/user when $HOME is unset;
  // we read only `env`, so the caller decides what the environment is.
  const std::string home = lookup(env, "HOME");
  if (!home.empty()) {
    const fs::path path = fs::path(home) / ".kube" / "config";
    std::error_code ec;
    if (fs::status(path, ec).type() != fs::file_type::not_found) return load_kubeconfig(path);
    tried.push_back(path.string() + " does not exist");
  } else {
    tried.push_back("$HOME is not set");
  }

  std::string message = "no cluster configuration found: ";
  for (size_t i = 0; i < tried.size(); ++i) message += (i == 0 ? "" : "; ") + tried[i];
  return failed_precondition(std::move(message));
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const size_t eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    // emplace keeps the first of duplicated names, the one getenv returns.
    out.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  return out;
}

BearerTokenSource::BearerTokenSource(const ClusterConfig& config)
    : fixed_(config.bearer_token), file_(config.bearer_token_file) {}

Result<std::string> BearerTokenSource::token() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_.empty()) return fixed_;

  // A stat per request is cheap next to the request; client-go's cachedFileTokenSource
  // re-reads once a minute instead, so it may send a rotated-out token for up to that long.
  std::optional<Error> failure;
  std::error_code ec;
  const fs::file_time_type mtime = fs::last_write_time(file_, ec);  // follows kubelet's ..data symlink
  if (ec) {
    failure = read_error(ec.value(), file_.string());
  } else if (mtime != read_at_mtime_) {
    auto content = read_file(file_, file_.string());
    if (!content.ok()) {
      failure = std::move(content).error();
    } else {
      std::string token = trim_space(*content);
      wipe(*content);
      if (token.empty()) {
        // client-go: "read empty token from file"; likely caught mid-write, so keep the old one.
        failure = failed_precondition(file_.string() + ": empty");
      } else {
        wipe(cached_);
        cached_ = std::move(token);
        read_at_mtime_ = mtime;  // the mtime seen before reading: a write in between is read next time
      }
    }
  }
  // client-go's bearerAuthRoundTripper: the file's last good token, else the fixed one.
  if (!cached_.empty()) return cached_;
  if (!fixed_.empty()) return fixed_;
  if (failure) return std::move(*failure).add_context("bearer token file");
  return unavailable("bearer token file " + file_.string() + ": no token read yet");
}

}  // namespace sso::kube
