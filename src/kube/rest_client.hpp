#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"
#include "kube/cluster_config.hpp"
#include "kube/resource.hpp"

namespace sso::metrics {
class Registry;
}

namespace sso::kube {

class HttpTransport;
class LineStream;
class TokenBucket;

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int64_t limit = 0;             // page size; 0: everything in one answer
  std::string continue_token;    // from the previous page
  std::string resource_version;  // "" : a quorum read; for watch, where to start
  bool allow_watch_bookmarks = false;
  int timeout_seconds = 0;  // watch only: the server ends the stream after this long
};

struct ObjectList {
  std::string resource_version;
  std::string continue_token;
  std::vector<nlohmann::json> items;
};

struct DeleteOptions {
  std::string precondition_uid;
  std::string precondition_resource_version;
  std::string propagation_policy;  // "", "Foreground", "Background", "Orphan"
};

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK (ERROR events come back as errors)
  nlohmann::json object;
};

// Reads a list answer ({metadata: {resourceVersion, continue}, items: [...]}), giving each
// item the kind and apiVersion a list leaves out. Anything else is an error, never a throw.
Result<ObjectList> parse_object_list(nlohmann::json body, const ResourceType& type);

// An open watch. next() blocks for the next event; it returns nullopt when the server ended
// the stream (a normal end: re-watch from the last resourceVersion), and an error for an
// ERROR event (a 410 is_gone() error means relist) or a broken stream. close() may be called
// from another thread and makes a blocked next() return.
class WatchStream {
 public:
  WatchStream(std::unique_ptr<LineStream> lines, std::string what);
  ~WatchStream();
  Result<std::optional<WatchEvent>> next();
  void close();

 private:
  std::unique_ptr<LineStream> lines_;
  std::string what_;
};

// The operator's typed-enough Kubernetes client: JSON objects in and out, API errors as
// Error values carrying the Status reason (kube/api_error.hpp), client-side rate limiting
// as client-go's (token bucket, QPS and burst), connection reuse, and per-request timeouts.
// Thread-safe.
class RestClient {
 public:
  struct Options {
    // No client-side limit by default (qps 0): the API server's Priority and Fairness sheds
    // load with 429 and Retry-After, which is honoured below. controller-runtime dropped its
    // 20 QPS default in v0.21 on SIG API Machinery's advice; at 20 QPS, 5,000 new
    // SecureServices took half an hour. A positive qps paces requests with a token bucket.
    double qps = 0;
    int burst = 30;
    std::chrono::milliseconds timeout{30000};
    std::string user_agent = "secureservice-operator";
    // Answers with Retry-After (429, an overloaded server's 5xx) are retried after the wait
    // the server asked for, this many times, as client-go's request.go does (it uses 10).
    int max_retries = 10;
    metrics::Registry* metrics = nullptr;  // counts rest_client_requests_total when set
  };

  static Result<std::unique_ptr<RestClient>> create(const ClusterConfig& config, Options options);
  ~RestClient();

  const ClusterConfig& config() const { return config_; }

  Result<nlohmann::json> get(const ResourceType& type, const std::string& ns, const std::string& name);
  // One page when options.limit is set (follow continue_token), else everything.
  Result<ObjectList> list(const ResourceType& type, const std::string& ns, const ListOptions& options = {});
  // Every page, following continue tokens; a 410 on a continue token restarts from the
  // first page, as client-go's pager does.
  Result<ObjectList> list_all(const ResourceType& type, const std::string& ns, ListOptions options);
  Result<nlohmann::json> create(const ResourceType& type, const nlohmann::json& object);
  // Replaces the object (metadata.resourceVersion, when set, is an optimistic-concurrency
  // precondition: a stale one fails is_conflict()).
  Result<nlohmann::json> update(const ResourceType& type, const nlohmann::json& object);
  Result<nlohmann::json> update_status(const ResourceType& type, const nlohmann::json& object);
  // RFC 7386 JSON merge patch, on the object or a subresource ("status").
  Result<nlohmann::json> merge_patch(const ResourceType& type, const std::string& ns, const std::string& name,
                                     const nlohmann::json& patch, const std::string& subresource = "");
  // Server-side apply as `field_manager`; `force` takes fields other managers own.
  Result<nlohmann::json> apply(const ResourceType& type, const nlohmann::json& object, const std::string& field_manager,
                               bool force = true, const std::string& subresource = "");
  Status remove(const ResourceType& type, const std::string& ns, const std::string& name,
                const DeleteOptions& options = {});
  Result<std::unique_ptr<WatchStream>> watch(const ResourceType& type, const std::string& ns,
                                             const ListOptions& options);

 private:
  struct Request;
  RestClient(ClusterConfig config, Options options);
  Result<nlohmann::json> send(const Request& request);

  ClusterConfig config_;
  Options options_;
  std::unique_ptr<BearerTokenSource> token_;
  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<TokenBucket> limiter_;
};

}  // namespace sso::kube
