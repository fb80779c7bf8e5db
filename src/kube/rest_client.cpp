#include "kube/rest_client.hpp"

#include <thread>

#include "kube/api_error.hpp"
#include "kube/http_transport.hpp"
#include "kube/token_bucket.hpp"
#include "metrics/registry.hpp"

namespace sso::kube {
namespace {

// Percent-encodes a query value (RFC 3986 unreserved characters pass).
std::string query_escape(const std::string& value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

using Query = std::vector<std::pair<std::string, std::string>>;

std::string with_query(std::string path, const Query& query) {
  char sep = '?';
  for (const auto& [k, v] : query) {
    path += sep;
    path += k + "=" + query_escape(v);
    sep = '&';
  }
  return path;
}

Query list_query(const ListOptions& o, bool watch) {
  Query q;
  if (!o.label_selector.empty()) q.emplace_back("labelSelector", o.label_selector);
  if (!o.field_selector.empty()) q.emplace_back("fieldSelector", o.field_selector);
  if (!o.resource_version.empty()) q.emplace_back("resourceVersion", o.resource_version);
  if (watch) {
    q.emplace_back("watch", "true");
    if (o.allow_watch_bookmarks) q.emplace_back("allowWatchBookmarks", "true");
    if (o.timeout_seconds > 0) q.emplace_back("timeoutSeconds", std::to_string(o.timeout_seconds));
  } else {
    if (o.limit > 0) q.emplace_back("limit", std::to_string(o.limit));
    if (!o.continue_token.empty()) q.emplace_back("continue", o.continue_token);
  }
  return q;
}

std::string describe_object(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "/" + name;
}

std::string host_of(const std::string& server) {
  const auto scheme = server.find("://");
  std::string rest = scheme == std::string::npos ? server : server.substr(scheme + 3);
  return rest.substr(0, rest.find('/'));
}

}  // namespace

struct RestClient::Request {
  std::string method;
  std::string path;
  std::string body;
  std::string content_type;
  std::string what;  // "get configmaps shop/payments", for errors
};

RestClient::RestClient(ClusterConfig config, Options options)
    : config_(std::move(config)),
      options_(std::move(options)),
      token_(std::make_unique<BearerTokenSource>(config_)),
      limiter_(std::make_unique<TokenBucket>(options_.qps, options_.burst)) {}

RestClient::~RestClient() = default;

Result<std::unique_ptr<RestClient>> RestClient::create(const ClusterConfig& config, Options options) {
  std::unique_ptr<RestClient> client(new RestClient(config, std::move(options)));
  SSO_ASSIGN_OR_RETURN(client->transport_,
                       HttpTransport::create(config, client->options_.timeout, client->options_.user_agent),
                       "Kubernetes client");
  return client;
}

Result<nlohmann::json> RestClient::send(const Request& request) {
  const std::string host = host_of(config_.server);
  for (int attempt = 0;; ++attempt) {
    limiter_->wait();
    SSO_ASSIGN_OR_RETURN(std::string token, token_->token(), request.what);
    auto response =
        transport_->send(HttpRequest{request.method, request.path, request.body, request.content_type, token});
    if (!response.ok()) {
      if (options_.metrics) options_.metrics->count_request("<error>", request.method, host);
      return std::move(response).error().add_context(request.what);
    }
    if (options_.metrics) options_.metrics->count_request(std::to_string(response->status), request.method, host);
    if (response->status >= 200 && response->status < 300) {
      if (response->body.empty()) return nlohmann::json();
      auto body = nlohmann::json::parse(response->body, nullptr, false);
      if (body.is_discarded()) return internal_error("the server's answer is not JSON").add_context(request.what);
      return body;
    }
    Error error = api_error(response->status, response->body, response->headers, request.what);
    // client-go's request.go retries an answer that carries Retry-After (429, and 5xx from
    // an overloaded server) after waiting as asked, up to maxRetries; the request was not
    // processed, so even a POST is safe to repeat.
    if (error.retry_after() && (response->status == 429 || response->status >= 500) && attempt < options_.max_retries) {
      std::this_thread::sleep_for(std::min<std::chrono::seconds>(*error.retry_after(), std::chrono::seconds(10)));
      continue;
    }
    return error;
  }
}

Result<nlohmann::json> RestClient::get(const ResourceType& type, const std::string& ns, const std::string& name) {
  return send({"GET", type.object_path(ns, name), "", "", "get " + type.plural + " " + describe_object(ns, name)});
}

Result<ObjectList> RestClient::list(const ResourceType& type, const std::string& ns, const ListOptions& options) {
  const std::string what = "list " + type.plural + (ns.empty() ? "" : " in " + ns);
  SSO_ASSIGN_OR_RETURN(auto body,
                       send({"GET", with_query(type.collection_path(ns), list_query(options, false)), "", "", what}));
  SSO_ASSIGN_OR_RETURN(auto list, parse_object_list(std::move(body), type), what);
  return list;
}

Result<ObjectList> parse_object_list(nlohmann::json body, const ResourceType& type) {
  if (!body.is_object() || !body.contains("items") || !body["items"].is_array()) {
    return internal_error("the server's answer is not a list (no items array)");
  }
  ObjectList list;
  if (body.contains("metadata")) {
    list.resource_version = string_field(body["metadata"], "resourceVersion");
    list.continue_token = string_field(body["metadata"], "continue");
  }
  list.items.reserve(body["items"].size());
  for (auto& item : body["items"]) {
    if (!item.is_object()) return internal_error("the server's list holds an item that is not an object");
    // Items of a list carry no kind; readers of the cache expect whole objects.
    if (!item.contains("kind")) item["kind"] = type.kind;
    if (!item.contains("apiVersion")) item["apiVersion"] = type.api_version();
    list.items.push_back(std::move(item));
  }
  return list;
}

Result<ObjectList> RestClient::list_all(const ResourceType& type, const std::string& ns, ListOptions options) {
  ObjectList all;
  options.continue_token.clear();
  while (true) {
    auto page = list(type, ns, options);
    if (!page.ok() && is_gone(page.error()) && !options.continue_token.empty()) {
      // The continue token expired (compaction) mid-way: client-go's pager falls back to one
      // full list, which is consistent by itself.
      ListOptions full = options;
      full.limit = 0;
      full.continue_token.clear();
      return list(type, ns, full);
    }
    SSO_RETURN_IF_ERROR(page);
    for (auto& item : page->items) all.items.push_back(std::move(item));
    all.resource_version = page->resource_version;
    if (page->continue_token.empty()) return all;
    options.continue_token = page->continue_token;
  }
}

Result<nlohmann::json> RestClient::create(const ResourceType& type, const nlohmann::json& object) {
  const std::string ns = namespace_of(object);
  const std::string name = name_of(object);
  return send({"POST", type.collection_path(ns), object.dump(), "application/json",
               "create " + type.plural + " " + describe_object(ns, name)});
}

Result<nlohmann::json> RestClient::update(const ResourceType& type, const nlohmann::json& object) {
  const std::string ns = namespace_of(object);
  const std::string name = name_of(object);
  return send({"PUT", type.object_path(ns, name), object.dump(), "application/json",
               "update " + type.plural + " " + describe_object(ns, name)});
}

Result<nlohmann::json> RestClient::update_status(const ResourceType& type, const nlohmann::json& object) {
  const std::string ns = namespace_of(object);
  const std::string name = name_of(object);
  return send({"PUT", type.object_path(ns, name) + "/status", object.dump(), "application/json",
               "update status of " + type.plural + " " + describe_object(ns, name)});
}

Result<nlohmann::json> RestClient::merge_patch(const ResourceType& type, const std::string& ns, const std::string& name,
                                               const nlohmann::json& patch, const std::string& subresource) {
  std::string path = type.object_path(ns, name);
  if (!subresource.empty()) path += "/" + subresource;
  return send({"PATCH", path, patch.dump(), "application/merge-patch+json",
               "patch " + type.plural + " " + describe_object(ns, name)});
}

Result<nlohmann::json> RestClient::apply(const ResourceType& type, const nlohmann::json& object,
                                         const std::string& field_manager, bool force, const std::string& subresource) {
  const std::string ns = namespace_of(object);
  const std::string name = name_of(object);
  std::string path = type.object_path(ns, name);
  if (!subresource.empty()) path += "/" + subresource;
  Query q{{"fieldManager", field_manager}};
  if (force) q.emplace_back("force", "true");
  // JSON is YAML: kube-apiserver takes an apply body as either.
  return send({"PATCH", with_query(path, q), object.dump(), "application/apply-patch+yaml",
               "apply " + type.plural + " " + describe_object(ns, name)});
}

Status RestClient::remove(const ResourceType& type, const std::string& ns, const std::string& name,
                          const DeleteOptions& options) {
  nlohmann::json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (!options.precondition_uid.empty()) body["preconditions"]["uid"] = options.precondition_uid;
  if (!options.precondition_resource_version.empty()) {
    body["preconditions"]["resourceVersion"] = options.precondition_resource_version;
  }
  if (!options.propagation_policy.empty()) body["propagationPolicy"] = options.propagation_policy;
  SSO_RETURN_IF_ERROR(send({"DELETE", type.object_path(ns, name), body.dump(), "application/json",
                            "delete " + type.plural + " " + describe_object(ns, name)}));
  return ok_status();
}

Result<std::unique_ptr<WatchStream>> RestClient::watch(const ResourceType& type, const std::string& ns,
                                                       const ListOptions& options) {
  const std::string what = "watch " + type.plural + (ns.empty() ? "" : " in " + ns);
  limiter_->wait();
  SSO_ASSIGN_OR_RETURN(std::string token, token_->token(), what);
  // The server ends the watch after timeoutSeconds; allow for bookmarks arriving late
  // before calling the connection dead.
  const auto idle = std::chrono::seconds(options.timeout_seconds > 0 ? options.timeout_seconds + 30 : 330);
  HttpResponse refused;
  const std::string host = host_of(config_.server);
  auto lines = transport_->open_stream(
      HttpRequest{"GET", with_query(type.collection_path(ns), list_query(options, true)), "", "", token}, idle,
      &refused);
  if (!lines.ok()) {
    if (options_.metrics) options_.metrics->count_request("<error>", "WATCH", host);
    return std::move(lines).error().add_context(what);
  }
  if (!*lines) {
    if (options_.metrics) options_.metrics->count_request(std::to_string(refused.status), "WATCH", host);
    return api_error(refused.status, refused.body, refused.headers, what);
  }
  if (options_.metrics) options_.metrics->count_request("200", "WATCH", host);
  return std::make_unique<WatchStream>(std::move(*lines), what);
}

WatchStream::WatchStream(std::unique_ptr<LineStream> lines, std::string what)
    : lines_(std::move(lines)), what_(std::move(what)) {}
WatchStream::~WatchStream() = default;

void WatchStream::close() { lines_->close(); }

Result<std::optional<WatchEvent>> WatchStream::next() {
  SSO_ASSIGN_OR_RETURN(auto line, lines_->next_line(), what_);
  if (!line) return std::optional<WatchEvent>();
  auto event = nlohmann::json::parse(*line, nullptr, false);
  if (event.is_discarded() || !event.is_object() || !event.contains("type") || !event["type"].is_string() ||
      !event.contains("object") || !event["object"].is_object()) {
    return unavailable("a watch event that is not {type, object} JSON").add_context(what_);
  }
  WatchEvent out{event["type"].get<std::string>(), std::move(event["object"])};
  if (out.type == "ERROR") return api_error_from_status(500, out.object.dump(), what_);
  return std::optional<WatchEvent>(std::move(out));
}

}  // namespace sso::kube
