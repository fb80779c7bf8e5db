#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/result.hpp"

namespace sso::kube {

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};
using HttpHandler = std::function<HttpReply()>;

// A plain-HTTP listener for probes and metrics (GET only), over cpprestsdk. `bind_address`
// is controller-runtime's flag form: ":8081" (every interface), "127.0.0.1:8081", or a
// port of 0 for a free one (tests).
class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> start(const std::string& bind_address,
                                                   std::map<std::string, HttpHandler> routes);
  ~HttpServer();
  uint16_t port() const { return port_; }
  void stop();

 private:
  struct Impl;
  HttpServer(std::unique_ptr<Impl> impl, uint16_t port);
  std::unique_ptr<Impl> impl_;
  uint16_t port_;
};

}  // namespace sso::kube
