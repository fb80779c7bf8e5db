#include "apiserver/http_edge.hpp"

#include <thread>
#include <vector>

#include "kube/http_server.hpp"
#include "kube/worker_pool.hpp"
#include "pki/tls_credentials.hpp"

namespace sso::apiserver {
namespace {

// Requests handled at once; more wait. kube-apiserver's default --max-requests-inflight is 400,
// but a test's requests wait only on a fault's latency or a webhook.
constexpr size_t kWorkers = 64;
// kube-apiserver's MaxRequestBodyBytes.
constexpr size_t kMaxBodyBytes = size_t{3} << 20;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

HttpRequest to_plain(kube::ServerRequest request) {
  HttpRequest out;
  out.method = std::move(request.method);
  out.path = url_decode(request.path, false);
  std::string_view query = request.query;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const std::string key = url_decode(pair.substr(0, eq), true);
    out.query[key] = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1), true);
  }
  out.headers = std::move(request.headers);
  out.body = std::move(request.body);
  return out;
}

class ExchangeResponder final : public Responder {
 public:
  explicit ExchangeResponder(std::shared_ptr<kube::HttpExchange> exchange) : exchange_(std::move(exchange)) {}

  void respond(const ApiResponse& response) override {
    kube::HttpReply reply;
    reply.status = response.code;
    reply.headers.assign(response.headers.begin(), response.headers.end());
    if (response.body.is_string()) {
      reply.body = response.body.get<std::string>();
      if (!response.content_type.empty()) reply.content_type = response.content_type;
    } else {
      reply.body = response.body.dump();
      reply.content_type = "application/json";
    }
    exchange_->reply(std::move(reply));
  }

  Stream open_stream(const std::string& content_type) override {
    exchange_->start_stream({200, content_type, ""});
    return {[exchange = exchange_](const std::string& line) { return exchange->write(line); },
            [exchange = exchange_] { exchange->end_stream(); }};
  }

 private:
  std::shared_ptr<kube::HttpExchange> exchange_;
};

}  // namespace

std::string url_decode(std::string_view text, bool query) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else if (query && text[i] == '+') {
      out += ' ';
    } else {
      out += text[i];
    }
  }
  return out;
}

struct HttpEdge::Impl {
  ApiServer& api;
  pki::ServingCredentials credentials;
  kube::WorkerPool workers{kWorkers};
  std::unique_ptr<kube::HttpServer> server;
  // Servers a restart stopped: kept until stop(), as a handler still running may answer
  // through one (an exchange must not outlive its server).
  std::vector<std::unique_ptr<kube::HttpServer>> retired;

  explicit Impl(ApiServer& a) : api(a) {}

  Status listen(uint16_t port) {
    kube::HttpServerOptions options;
    options.bind_address = "127.0.0.1:" + std::to_string(port);
    options.tls = &credentials;
    options.threads = 4;
    options.limits.max_body_bytes = kMaxBodyBytes;
    kube::HttpRoute everything{"", nullptr,
                               [this](kube::ServerRequest request, std::shared_ptr<kube::HttpExchange> exchange) {
                                 serve(std::move(request), std::move(exchange));
                               }};
    SSO_ASSIGN_OR_RETURN(server, kube::HttpServer::start(std::move(options), {{"/", std::move(everything)}}),
                         "start API test server");
    return ok_status();
  }

  void serve(kube::ServerRequest request, std::shared_ptr<kube::HttpExchange> exchange) {
    const bool taken = workers.submit([this, request = std::move(request), exchange]() mutable {
      ExchangeResponder responder(exchange);
      try {
        api.handle(to_plain(std::move(request)), responder);
      } catch (const std::exception& e) {
        exchange->reply({500, "text/plain; charset=utf-8", std::string("internal error: ") + e.what()});
      }
    });
    if (!taken) exchange->reply({503, "text/plain; charset=utf-8", "the API test server is stopping\n"});
  }

  // Ends every watch (its exchange released), then every connection.
  void close() {
    api.store().close_all_watches();
    if (server) server->stop();
  }
};

HttpEdge::HttpEdge(std::unique_ptr<Impl> impl, uint16_t port) : impl_(std::move(impl)), port_(port) {}

HttpEdge::~HttpEdge() { stop(); }

Result<std::unique_ptr<HttpEdge>> HttpEdge::start(ApiServer& api, uint16_t port, const std::string& cert_chain_pem,
                                                  const std::string& key_pem) {
  auto impl = std::make_unique<Impl>(api);
  SSO_RETURN_IF_ERROR(impl->credentials.load(cert_chain_pem, key_pem), "start API test server");
  SSO_RETURN_IF_ERROR(impl->listen(port));
  const uint16_t bound = impl->server->port();
  return std::unique_ptr<HttpEdge>(new HttpEdge(std::move(impl), bound));
}

Status HttpEdge::restart() {
  impl_->close();
  impl_->retired.push_back(std::move(impl_->server));
  // A client's connection to the old listener may hold the port for a moment.
  Status opened = impl_->listen(port_);
  for (int attempt = 0; !opened.ok() && attempt < 50; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    opened = impl_->listen(port_);
  }
  return opened;
}

void HttpEdge::stop() {
  if (!impl_) return;
  impl_->close();
  impl_->workers.stop();  // a handler still running answers a closed connection
  // A watch a handler opened meanwhile: its exchange goes before the servers do.
  impl_->api.store().close_all_watches();
  impl_->server.reset();
  impl_->retired.clear();
}

}  // namespace sso::apiserver
