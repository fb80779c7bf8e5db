#include "kube/http_server.hpp"

#include "kube/http_connection.hpp"  // first: it includes <utility> before asio

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "pki/tls_credentials.hpp"

namespace sso::kube {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
using http_edge::Connection;
using http_edge::Shared;
using net::ip::tcp;

// A failed accept (out of file descriptors, say) is retried after this pause, as Go's server
// backs off, rather than in a hot loop.
constexpr std::chrono::milliseconds kAcceptBackoff{50};
// How long stop() waits for connections to finish the step they are in once closed.
constexpr std::chrono::seconds kStopPatience{5};

}  // namespace

Result<BindAddress> parse_bind_address(const std::string& bind_address) {
  const auto colon = bind_address.rfind(':');
  if (colon == std::string::npos)
    return invalid_argument("bind address \"" + bind_address + "\": want HOST:PORT or :PORT");
  BindAddress parsed;
  parsed.host = bind_address.substr(0, colon);
  if (parsed.host.empty()) parsed.host = "0.0.0.0";
  const std::string port = bind_address.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535)
    return invalid_argument("bind address \"" + bind_address + "\": bad port");
  parsed.port = static_cast<uint16_t>(std::stoi(port));
  return parsed;
}

struct HttpServer::Impl {
  // Declared first, destroyed last: everything below runs on it.
  net::io_context io;
  std::optional<net::ssl::context> tls;
  tcp::acceptor acceptor{net::make_strand(io)};
  net::steady_timer backoff{acceptor.get_executor()};
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  std::vector<std::thread> threads;
  uint16_t port = 0;
  std::atomic<bool> stopped{false};

  void accept() {
    acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (!acceptor.is_open()) return;
      if (ec) {
        log::warn(http_edge::kLogger, "accept failed", {{"port", std::to_string(port)}, {"error", ec.message()}});
        backoff.expires_after(kAcceptBackoff);
        backoff.async_wait([this](beast::error_code) {
          if (acceptor.is_open()) accept();
        });
        return;
      }
      if (tls) {
        std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
            shared, beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls))
            ->run();
      } else {
        std::make_shared<Connection<beast::tcp_stream>>(shared, beast::tcp_stream(std::move(socket)))->run();
      }
      accept();
    });
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { stop(); }
uint16_t HttpServer::port() const { return impl_->port; }

Result<std::unique_ptr<HttpServer>> HttpServer::start(HttpServerOptions options,
                                                      std::map<std::string, HttpRoute> routes) {
  SSO_ASSIGN_OR_RETURN(const BindAddress bind, parse_bind_address(options.bind_address), "start HTTP server");
  const std::string where = bind.host + ":" + std::to_string(bind.port);
  if (options.threads < 1) return invalid_argument("start HTTP server on " + where + ": threads must be positive");
  for (const auto& [path, route] : routes) {
    if (path.empty() || path.front() != '/' || !route.handle == !route.serve) {
      std::string message = "start HTTP server on " + where;
      message += ": route \"" + path + "\" needs a path from / and one handler";
      return invalid_argument(std::move(message));
    }
  }
  beast::error_code ec;
  const auto address = net::ip::make_address(bind.host, ec);
  if (ec) return invalid_argument("start HTTP server: bind address \"" + options.bind_address + "\": " + ec.message());

  auto impl = std::make_unique<Impl>();
  if (options.tls) {
    impl->tls.emplace(net::ssl::context::tls_server);
    const Status configured = pki::configure_server_context(*impl->tls->native_handle(), *options.tls);
    if (!configured.ok()) return Error(configured.error()).add_context("start HTTPS server on " + where);
  }
  impl->shared->options = std::move(options);
  impl->shared->routes = std::move(routes);

  const tcp::endpoint endpoint(address, bind.port);
  auto& acceptor = impl->acceptor;
  if (acceptor.open(endpoint.protocol(), ec); !ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return unavailable("start HTTP server: listen on " + where + ": " + ec.message());
  impl->port = acceptor.local_endpoint().port();

  impl->accept();
  const int threads = impl->shared->options.threads;
  for (int i = 0; i < threads; ++i) impl->threads.emplace_back([io = &impl->io] { io->run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const std::string& bind_address,
                                                      const std::map<std::string, std::function<HttpReply()>>& routes) {
  HttpServerOptions options;
  options.bind_address = bind_address;
  options.threads = 1;
  std::map<std::string, HttpRoute> get_routes;
  for (const auto& route : routes) {
    get_routes[route.first] = {"GET", [reply = route.second](const ServerRequest&) { return reply(); }};
  }
  return start(std::move(options), std::move(get_routes));
}

void HttpServer::stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  auto& impl = *impl_;
  std::promise<void> closed;
  net::post(impl.acceptor.get_executor(), [&] {
    beast::error_code ignored;
    impl.acceptor.close(ignored);
    impl.backoff.cancel();
    closed.set_value();
  });
  closed.get_future().wait();

  std::vector<std::function<void()>> aborts;
  {
    std::lock_guard lock(impl.shared->mu);
    for (const auto& [id, abort] : impl.shared->aborts) aborts.push_back(abort);
  }
  for (const auto& abort : aborts) abort();
  {
    std::unique_lock lock(impl.shared->mu);
    if (!impl.shared->all_closed.wait_for(lock, kStopPatience, [&] { return impl.shared->aborts.empty(); })) {
      log::warn(http_edge::kLogger, "stopped with connections still open",
                {{"port", std::to_string(impl.port)}, {"connections", std::to_string(impl.shared->aborts.size())}});
    }
  }
  // Each closed connection's pending operations still complete (a half-read request is
  // reported then); once none is left the threads return. A connection an exchange still
  // holds has none.
  const auto deadline = std::chrono::steady_clock::now() + kStopPatience;
  while (!impl.io.stopped() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  impl.io.stop();
  for (auto& thread : impl.threads) thread.join();
  impl.threads.clear();
}

}  // namespace sso::kube
