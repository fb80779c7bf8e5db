#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sso::testing {

// A small HTTPS client for tests of the API test server: it trusts the server's CA and
// sends the bearer token, and nothing else. (The operator's own client is src/kube.)
class ApiTestClient {
 public:
  ApiTestClient(const std::string& url, const std::string& ca_pem, const std::string& token);
  ~ApiTestClient();

  struct Response {
    int code = 0;
    nlohmann::json body;
    std::map<std::string, std::string> headers;
    std::string reason() const { return body.is_object() ? body.value("reason", "") : ""; }
  };

  Response get(const std::string& path);
  Response post(const std::string& path, const nlohmann::json& body);
  Response put(const std::string& path, const nlohmann::json& body);
  Response patch(const std::string& path, const std::string& body,
                 const std::string& content_type = "application/merge-patch+json");
  Response del(const std::string& path, const nlohmann::json& options = nullptr);
  Response request(const std::string& method, const std::string& path, const std::string& body,
                   const std::string& content_type);

  // The Accept header of later requests ("application/json" unless set), e.g. kubectl's
  // "application/json;as=Table;v=v1;g=meta.k8s.io" for server-side printing.
  void set_accept(const std::string& accept);

  // Opens a watch on `path` (a list path with watch=true added), runs `then` once the
  // stream is open, and collects events until `done(events)` says so, the server ends the
  // stream, or `timeout` passes. `ended` tells whether the server ended it.
  std::vector<nlohmann::json> watch(const std::string& path,
                                    const std::function<bool(const std::vector<nlohmann::json>&)>& done,
                                    std::chrono::milliseconds timeout, const std::function<void()>& then = {},
                                    bool* ended = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Waits for `predicate` to hold, checking every 10 ms, for at most `timeout`.
bool eventually(const std::function<bool()>& predicate, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace sso::testing
