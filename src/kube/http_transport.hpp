#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "kube/cluster_config.hpp"

namespace sso::kube {

struct HttpRequest {
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string path;    // path and query, already escaped
  std::string body;
  std::string content_type;
  std::string bearer_token;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
};

// The lines of a streamed answer (a watch). next_line() blocks; nullopt at the end of the
// stream. close() may be called from any thread and makes a blocked next_line() return.
class LineStream {
 public:
  virtual ~LineStream() = default;
  virtual Result<std::optional<std::string>> next_line() = 0;
  virtual void close() = 0;
};

// HTTPS to one API server over cpprestsdk, the only place in src/kube that sees it. Plain
// requests share one client so their connections are kept alive; each stream gets its own.
// Transport failures come back as kUnavailable (kDeadlineExceeded for a timeout).
class HttpTransport {
 public:
  static Result<std::unique_ptr<HttpTransport>> create(const ClusterConfig& config, std::chrono::milliseconds timeout,
                                                       std::string user_agent);
  ~HttpTransport();

  Result<HttpResponse> send(const HttpRequest& request);
  // Opens a stream. When the server answers other than 200, `error` gets that answer (with
  // its body) and the result is null.
  Result<std::unique_ptr<LineStream>> open_stream(const HttpRequest& request, std::chrono::seconds idle_timeout,
                                                  HttpResponse* error);

 private:
  struct Impl;
  explicit HttpTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sso::kube
