#pragma once

// Include after gtest: cpprestsdk defines a macro U that gtest's templates would trip on.
#include <cpprest/http_client.h>

#include <string>

namespace sso::testing {

struct HttpGetReply {
  int code = 0;  // 0: no HTTP answer at all (refused, reset, handshake failed)
  std::string body;
};

// GET `url` ("http://127.0.0.1:8080/metrics"), with `bearer` as the Authorization token when
// given. An https URL is fetched without verifying the server's certificate, as a Prometheus
// scrape with insecureSkipVerify does.
inline HttpGetReply http_get(const std::string& url, const std::string& bearer = "") {
  try {
    const web::uri uri(url);
    web::http::client::http_client_config config;
    config.set_validate_certificates(false);
    web::http::client::http_client client(web::uri_builder(uri).set_path("").set_query("").to_uri(), config);
    web::http::http_request request(web::http::methods::GET);
    request.set_request_uri(uri.resource());
    if (!bearer.empty()) request.headers().add("Authorization", "Bearer " + bearer);
    auto res = client.request(request).get();
    return {res.status_code(), res.extract_string().get()};
  } catch (const std::exception& e) {
    return {0, e.what()};
  }
}

}  // namespace sso::testing
