#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "pki/secret_bytes.hpp"

namespace sso::kube {

// Where the API server is and how to authenticate to it: what client-go's rest.Config
// holds once a kubeconfig or the in-cluster environment has been read.
struct ClusterConfig {
  std::string server;  // "https://10.0.0.1:443"
  std::string ca_pem;  // trust these roots; empty: the system's
  bool insecure_skip_tls_verify = false;
  std::string client_cert_pem;  // client certificate authentication
  pki::SecretBytes client_key_pem;
  // A fixed token and/or a file re-read when it changes (projected service-account tokens
  // rotate). When both are set the file's token wins once it has been read, as in client-go's
  // bearerAuthRoundTripper; BearerTokenSource does this.
  std::string bearer_token;
  std::string bearer_token_file;  // absolute
  std::string source;             // where this came from, for messages: "kubeconfig /root/.kube/config (context kind)"
};

// Where kubelet mounts a pod's service-account token and the cluster CA (rest.InClusterConfig).
inline constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

// Reads a kubeconfig as kubectl does: the current context (or `context` when given), its
// cluster and user. certificate-authority, client-certificate, client-key and tokenFile
// paths are relative to the kubeconfig's directory; a `-data` field wins over its file.
// Every error is one line naming the file and the field:
// "kubeconfig /x/config: users[admin].client-key-data: not valid base64 (illegal character)".
// Codes: kNotFound, the kubeconfig or a file it names is missing, or a context, cluster or
// user it names is not in its list; kInvalidArgument, malformed content; kUnimplemented,
// authentication we do not support (exec, auth-provider, basic auth, impersonation).
// Key material never appears in a message, not even a key pasted into a path field.
Result<ClusterConfig> load_kubeconfig(const std::filesystem::path& path, const std::string& context = "");

// The in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT from
// `env` (kFailedPrecondition naming the variable when unset), ca.crt read from
// `service_account_dir`, and bearer_token_file set to its `token` (checked readable now,
// re-read by BearerTokenSource).
Result<ClusterConfig> load_in_cluster(const std::map<std::string, std::string>& env,
                                      const std::filesystem::path& service_account_dir);

// controller-runtime's order (pkg/client/config GetConfig): the --kubeconfig flag, else
// $KUBECONFIG, else the in-cluster environment when KUBERNETES_SERVICE_HOST is set, else
// $HOME/.kube/config. Nothing found: kFailedPrecondition, one line saying what was tried.
Result<ClusterConfig> resolve_cluster_config(const std::string& kubeconfig_flag,
                                             const std::map<std::string, std::string>& env);
// The same with the service-account directory given (tests).
Result<ClusterConfig> resolve_cluster_config(const std::string& kubeconfig_flag,
                                             const std::map<std::string, std::string>& env,
                                             const std::filesystem::path& service_account_dir);

// The environment of this process, for resolve_cluster_config.
std::map<std::string, std::string> process_environment();

// The bearer token to send now: the fixed token, or the token file's content, re-read when
// its modification time changes (client-go's cachedFileTokenSource re-reads periodically;
// kubelet rewrites projected tokens well before they expire). A file that disappears or
// turns unreadable or empty keeps the last good token; with none yet, the fixed token, else
// an error naming the file. Thread-safe.
class BearerTokenSource {
 public:
  explicit BearerTokenSource(const ClusterConfig& config);
  // Empty when the configuration has no bearer token.
  Result<std::string> token();

 private:
  std::mutex mu_;
  std::string fixed_;
  std::filesystem::path file_;
  std::optional<std::filesystem::file_time_type> read_at_mtime_;
  std::string cached_;
};

}  // namespace sso::kube
