#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.hpp"

namespace sso::pki {
class ServingCredentials;
}

namespace sso::kube {

// A request as the edge hands it to a handler: its body read in full, within the limits.
struct ServerRequest {
  std::string method;
  std::string path;                            // the target without its query, as sent (not decoded)
  std::string query;                           // after the '?', as sent
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;

  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type and the framing
};

// The answer to one request, given once, from any thread and at any time: whole, or as a
// stream of chunks (chunked transfer encoding; a watch's events), which ends the connection
// when it ends. Dropping it unanswered answers 500.
class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  virtual void reply(HttpReply reply) = 0;
  // Instead of reply: sends the status line and headers (head.body is ignored) now, and the
  // body as it is written.
  virtual void start_stream(HttpReply head) = 0;
  // Queues one chunk. false once the client has gone or the server stopped: write no more.
  virtual bool write(std::string chunk) = 0;
  virtual void end_stream() = 0;
};

// One path, or with a trailing '/' every path under it (as Go's ServeMux: the longest
// match wins): the method it answers (others are 405; "" answers all) and what answers it.
// `handle` runs on the server's threads and must be quick: it decides, it does not wait.
// A server whose answers wait or stream gives `serve` instead, and answers through the
// exchange from threads of its own; every exchange must be released before the server is
// destroyed.
struct HttpRoute {
  std::string method = "GET";
  std::function<HttpReply(const ServerRequest&)> handle;
  std::function<void(ServerRequest, std::shared_ptr<HttpExchange>)> serve;
};

// What one server allows a client, as Go's http.Server fields and controller-runtime's
// webhook limits bound them. Every wait has a deadline, so that a client that stalls (a
// slow-loris trickling headers, a body that never comes, a reader that never reads) holds a
// connection for a bounded time and no thread at all.
struct HttpServerLimits {
  std::chrono::milliseconds handshake_timeout{10000};  // TLS, from accept
  std::chrono::milliseconds header_timeout{10000};     // Go's ReadHeaderTimeout: from the first byte
  std::chrono::milliseconds body_timeout{10000};       // from the end of the headers
  std::chrono::milliseconds write_timeout{10000};      // for the answer to leave
  std::chrono::milliseconds idle_timeout{90000};       // a kept-alive connection between requests
  size_t max_header_bytes = size_t{1} << 20;           // Go's DefaultMaxHeaderBytes; beyond: 431
  size_t max_body_bytes = size_t{1} << 20;             // beyond: 413, before reading when declared
};

struct HttpServerOptions {
  // controller-runtime's flag form: ":8080" (every interface), "127.0.0.1:8080"; port 0 picks
  // a free one (tests), which port() then reports.
  std::string bind_address;
  // HTTPS with this identity when set (read at every handshake, so a rotation needs no
  // restart); plain HTTP otherwise. Must outlive the server.
  const pki::ServingCredentials* tls = nullptr;
  HttpServerLimits limits;
  int threads = 2;
  // How this server words an answer it gives itself on a known path (400 unreadable body,
  // 408, 413), so that a webhook's refusal is still an AdmissionReview; plain text when unset.
  std::function<HttpReply(int status, const std::string& reason, const std::string& message)> refusal;
  // Called once the headers of a request on a known path are in, and once it is answered
  // (or its connection lost), with the time between: the webhook metrics.
  std::function<void(const std::string& path)> on_started;
  std::function<void(const std::string& path, int status, double seconds)> on_answered;
};

// The project's HTTP/1.1 edge (Boost.Beast over Boost.Asio and OpenSSL): probes and metrics in
// plain HTTP, the admission webhooks in HTTPS, and the API test server's REST and watches. Unknown paths are 404 and
// other methods 405, answered without reading a body; a client sending plain HTTP to the TLS port is told so, as Go's
// server does, and cut off.
class HttpServer {
 public:
  [[nodiscard]] static Result<std::unique_ptr<HttpServer>> start(HttpServerOptions options,
                                                                 std::map<std::string, HttpRoute> routes);
  // GET routes in plain HTTP with the default limits: probes and metrics.
  [[nodiscard]] static Result<std::unique_ptr<HttpServer>> start(
      const std::string& bind_address, const std::map<std::string, std::function<HttpReply()>>& routes);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;
  // Stops accepting, then closes every connection: a request still being read ends (and is
  // reported to on_answered), and so does a stream; an answer not yet given is dropped.
  // Idempotent.
  void stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct BindAddress {
  std::string host;
  uint16_t port = 0;
};
// ":9443" → 0.0.0.0:9443; "127.0.0.1:0"; refuses anything else, naming the address.
[[nodiscard]] Result<BindAddress> parse_bind_address(const std::string& bind_address);

}  // namespace sso::kube
