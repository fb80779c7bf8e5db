#include "kube/http_server.hpp"

#include <cpprest/http_listener.h>

#include "kube/free_port.hpp"

namespace sso::kube {

using web::http::experimental::listener::http_listener;

struct HttpServer::Impl {
  std::unique_ptr<http_listener> listener;
  std::map<std::string, HttpHandler> routes;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl, uint16_t port) : impl_(std::move(impl)), port_(port) {}
HttpServer::~HttpServer() { stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::start(const std::string& bind_address,
                                                      std::map<std::string, HttpHandler> routes) {
  const auto colon = bind_address.rfind(':');
  if (colon == std::string::npos) {
    return invalid_argument("bind address \"" + bind_address + "\": want HOST:PORT or :PORT");
  }
  std::string host = bind_address.substr(0, colon);
  if (host.empty()) host = "0.0.0.0";
  int port = -1;
  try {
    port = std::stoi(bind_address.substr(colon + 1));
  } catch (...) {
  }
  if (port < 0 || port > 65535) return invalid_argument("bind address \"" + bind_address + "\": bad port");
  if (port == 0) {
    SSO_ASSIGN_OR_RETURN(port, find_free_port(host), "bind address " + bind_address);
  }
  auto impl = std::make_unique<Impl>();
  impl->routes = std::move(routes);
  try {
    impl->listener = std::make_unique<http_listener>("http://" + host + ":" + std::to_string(port));
    Impl* raw = impl.get();
    impl->listener->support([raw](web::http::http_request request) {
      auto it = raw->routes.find(request.relative_uri().path());
      if (request.method() != web::http::methods::GET || it == raw->routes.end()) {
        request.reply(web::http::status_codes::NotFound, "404 page not found\n").wait();
        return;
      }
      const HttpReply reply = it->second();
      request.reply(reply.status, reply.body, reply.content_type).wait();
    });
    impl->listener->open().wait();
  } catch (const std::exception& e) {
    return unavailable(std::string("listen on ") + host + ":" + std::to_string(port) + ": " + e.what());
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl), static_cast<uint16_t>(port)));
}

void HttpServer::stop() {
  if (!impl_ || !impl_->listener) return;
  try {
    impl_->listener->close().wait();
  } catch (...) {
    // Closing a listener whose connections broke throws; it is closed either way.
  }
  impl_->listener.reset();
}

}  // namespace sso::kube
