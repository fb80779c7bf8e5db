#pragma once

// Helpers for tests that run the operator binary against the API test server.
#include <gmock/gmock.h>
// After gtest: cpprestsdk defines a macro U that gtest's templates would trip on.
#include <cpprest/http_client.h>
#include <unistd.h>

#include <string>

namespace sso::testing {

// The HTTP status of GET path on 127.0.0.1:port (0 when nothing answers).
inline int http_code(uint16_t port, const std::string& path, std::string* body = nullptr) {
  try {
    web::http::client::http_client client("http://127.0.0.1:" + std::to_string(port));
    auto res = client.request(web::http::methods::GET, path).get();
    if (body) *body = res.extract_string().get();
    return res.status_code();
  } catch (const std::exception&) {
    return 0;
  }
}

// Two consecutive ports (probes, metrics) unlikely to clash between test processes run in
// parallel: the operator's flags take fixed addresses, as a pod's would.
inline uint16_t free_port_pair() {
  static uint16_t next = static_cast<uint16_t>(20000 + (getpid() % 20000));
  return next += 2;
}

}  // namespace sso::testing
