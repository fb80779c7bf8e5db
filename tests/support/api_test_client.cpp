#include "api_test_client.hpp"

#include <cpprest/http_client.h>
#include <cpprest/rawptrstream.h>

#include <thread>

namespace sso::testing {

using web::http::client::http_client;
using web::http::client::http_client_config;

struct ApiTestClient::Impl {
  std::string url;
  std::string ca_pem;
  std::string token;
  // One client for plain requests, so that its connection is kept alive between them.
  std::unique_ptr<http_client> shared;
  std::string accept = "application/json";

  http_client make_client(std::chrono::milliseconds timeout = std::chrono::seconds(30)) const {
    http_client_config config;
    config.set_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
    config.set_ssl_context_callback(
        [ca = ca_pem](boost::asio::ssl::context& ctx) { ctx.add_certificate_authority(boost::asio::buffer(ca)); });
    return http_client(url, config);
  }

  web::http::http_request make_request(const std::string& method, const std::string& path, const std::string& body,
                                       const std::string& content_type) const {
    web::http::http_request req(method);
    req.set_request_uri(path);
    req.headers().add("Authorization", "Bearer " + token);
    req.headers().add("Accept", accept);
    if (!body.empty()) req.set_body(body, content_type);
    return req;
  }
};

ApiTestClient::ApiTestClient(const std::string& url, const std::string& ca_pem, const std::string& token)
    : impl_(std::make_unique<Impl>(Impl{url, ca_pem, token, nullptr})) {}

ApiTestClient::~ApiTestClient() = default;

ApiTestClient::Response ApiTestClient::request(const std::string& method, const std::string& path,
                                               const std::string& body, const std::string& content_type) {
  if (!impl_->shared) impl_->shared = std::make_unique<http_client>(impl_->make_client());
  web::http::http_response res;
  try {
    res = impl_->shared->request(impl_->make_request(method, path, body, content_type)).get();
  } catch (const web::http::http_exception&) {
    // A kept-alive connection the server has since closed (a restart): reconnect once, as
    // Go's transport does.
    impl_->shared = std::make_unique<http_client>(impl_->make_client());
    res = impl_->shared->request(impl_->make_request(method, path, body, content_type)).get();
  }
  Response out;
  out.code = res.status_code();
  for (const auto& [k, v] : res.headers()) out.headers[k] = v;
  const auto bytes = res.extract_vector().get();
  const std::string text(bytes.begin(), bytes.end());
  out.body = nlohmann::json::parse(text, nullptr, false);
  if (out.body.is_discarded()) out.body = text;
  return out;
}

void ApiTestClient::set_accept(const std::string& accept) { impl_->accept = accept; }

ApiTestClient::Response ApiTestClient::get(const std::string& path) { return request("GET", path, "", ""); }
ApiTestClient::Response ApiTestClient::post(const std::string& path, const nlohmann::json& body) {
  return request("POST", path, body.dump(), "application/json");
}
ApiTestClient::Response ApiTestClient::put(const std::string& path, const nlohmann::json& body) {
  return request("PUT", path, body.dump(), "application/json");
}
ApiTestClient::Response ApiTestClient::patch(const std::string& path, const std::string& body,
                                             const std::string& content_type) {
  return request("PATCH", path, body, content_type);
}
ApiTestClient::Response ApiTestClient::del(const std::string& path, const nlohmann::json& options) {
  return request("DELETE", path, options.is_null() ? "" : options.dump(), "application/json");
}

std::vector<nlohmann::json> ApiTestClient::watch(const std::string& path,
                                                 const std::function<bool(const std::vector<nlohmann::json>&)>& done,
                                                 std::chrono::milliseconds timeout, const std::function<void()>& then,
                                                 bool* ended) {
  std::vector<nlohmann::json> events;
  if (ended) *ended = false;
  http_client client = impl_->make_client(timeout + std::chrono::seconds(5));
  pplx::cancellation_token_source cancel;
  const std::string full = path + (path.find('?') == std::string::npos ? "?" : "&") + "watch=true";
  auto res = client.request(impl_->make_request("GET", full, "", ""), cancel.get_token()).get();
  auto body = res.body();
  if (then) then();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Lines are read on a helper thread so that the deadline holds when nothing arrives.
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> lines;
  bool eof = false;
  std::thread reader([&] {
    try {
      while (true) {
        concurrency::streams::container_buffer<std::string> line;
        const size_t n = body.read_line(line).get();
        std::lock_guard lock(mu);
        if (n == 0 && body.is_eof()) {
          eof = true;
          cv.notify_all();
          return;
        }
        if (!line.collection().empty()) lines.push_back(line.collection());
        cv.notify_all();
      }
    } catch (...) {
      std::lock_guard lock(mu);
      eof = true;
      cv.notify_all();
    }
  });
  {
    std::unique_lock lock(mu);
    while (true) {
      for (auto& l : lines) events.push_back(nlohmann::json::parse(l, nullptr, false));
      lines.clear();
      if (done && done(events)) break;
      if (eof) {
        if (ended) *ended = true;
        break;
      }
      if (cv.wait_until(lock, deadline) == std::cv_status::timeout) break;
    }
  }
  cancel.cancel();
  try {
    body.close().wait();
  } catch (...) {
  }
  reader.join();
  return events;
}

bool eventually(const std::function<bool()>& predicate, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return predicate();
}

}  // namespace sso::testing
