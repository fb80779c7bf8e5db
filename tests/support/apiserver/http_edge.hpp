#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "apiserver/api_server.hpp"
#include "base/result.hpp"

namespace sso::apiserver {

// The transport: HTTPS over cpprestsdk's listener on 127.0.0.1, turning each request into
// plain types for the ApiServer and its answers (and watch streams) back into HTTP.
class HttpEdge {
 public:
  static Result<std::unique_ptr<HttpEdge>> start(ApiServer& api, uint16_t port, std::string cert_chain_pem,
                                                 std::string key_pem);
  ~HttpEdge();
  HttpEdge(const HttpEdge&) = delete;
  HttpEdge& operator=(const HttpEdge&) = delete;

  uint16_t port() const { return port_; }
  // Closes the listener, which drops every open connection (watches included), and opens it
  // again on the same port: what clients see when kube-apiserver restarts.
  Status restart();
  void stop();

 private:
  struct Impl;
  HttpEdge(std::unique_ptr<Impl> impl, uint16_t port);
  std::unique_ptr<Impl> impl_;
  uint16_t port_;
};

}  // namespace sso::apiserver
