#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "apiserver/api_server.hpp"
#include "base/result.hpp"

namespace sso::apiserver {

// The transport: HTTPS on 127.0.0.1 over the project's own HTTP edge (kube::HttpServer),
// turning each request into plain types for the ApiServer, on a thread of its own, and its
// answers (and watch streams) back into HTTP.
class HttpEdge {
 public:
  static Result<std::unique_ptr<HttpEdge>> start(ApiServer& api, uint16_t port, const std::string& cert_chain_pem,
                                                 const std::string& key_pem);
  ~HttpEdge();
  HttpEdge(const HttpEdge&) = delete;
  HttpEdge& operator=(const HttpEdge&) = delete;

  uint16_t port() const { return port_; }
  // Drops every open connection (watches included) and listens again on the same port: what
  // clients see when kube-apiserver restarts.
  Status restart();
  void stop();

 private:
  struct Impl;
  HttpEdge(std::unique_ptr<Impl> impl, uint16_t port);
  std::unique_ptr<Impl> impl_;
  uint16_t port_;
};

// Percent-decodes a URL path or query component; in a query ('+' as a space) when `query`.
std::string url_decode(std::string_view text, bool query);

}  // namespace sso::apiserver
