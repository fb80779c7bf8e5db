#include "kube/http_transport.hpp"

#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "pki/certificate.hpp"
#include "pki/private_key.hpp"

namespace sso::kube {

using web::http::http_exception;
using web::http::client::http_client;
using web::http::client::http_client_config;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// A timeout is worth telling apart from a refused or broken connection: the caller backs
// off either way, but the log should say which.
Error transport_error(const http_exception& e, const std::string& what) {
  const bool timed_out = e.error_code() == std::errc::timed_out;
  return Error(timed_out ? ErrorCode::kDeadlineExceeded : ErrorCode::kUnavailable, e.what()).add_context(what);
}

bool is_idempotent(const std::string& method) { return method == "GET" || method == "PUT" || method == "DELETE"; }

// Go's transport also retries a non-idempotent request when nothing of it reached the
// server (nothingWrittenError); cpprestsdk reports that case only in its message.
bool failed_before_sending(const http_exception& e) {
  return std::string_view(e.what()).find("Failed to write request") != std::string_view::npos;
}

}  // namespace

struct HttpTransport::Impl {
  ClusterConfig config;
  std::chrono::milliseconds timeout;
  std::string user_agent;
  std::mutex mu;
  std::shared_ptr<http_client> shared;  // replaced after a broken kept-alive connection

  http_client_config client_config(std::chrono::milliseconds t) const {
    http_client_config c;
    c.set_timeout(std::chrono::duration_cast<std::chrono::microseconds>(t));
    c.set_validate_certificates(!config.insecure_skip_tls_verify);
    c.set_ssl_context_callback([ca = config.ca_pem, cert = config.client_cert_pem,
                                key = config.client_key_pem](boost::asio::ssl::context& ctx) {
      if (ca.empty()) {
        ctx.set_default_verify_paths();
      } else {
        ctx.add_certificate_authority(boost::asio::buffer(ca));
      }
      if (!cert.empty()) {
        ctx.use_certificate_chain(boost::asio::buffer(cert));
        ctx.use_private_key(boost::asio::buffer(key.reveal().data(), key.size()), boost::asio::ssl::context::pem);
      }
    });
    return c;
  }

  std::shared_ptr<http_client> client() {
    std::lock_guard lock(mu);
    if (!shared) shared = std::make_shared<http_client>(config.server, client_config(timeout));
    return shared;
  }
  void drop_client(const std::shared_ptr<http_client>& broken) {
    std::lock_guard lock(mu);
    if (shared == broken) shared.reset();
  }

  web::http::http_request make(const HttpRequest& r) const {
    web::http::http_request req(r.method);
    req.set_request_uri(web::uri(r.path));
    req.headers().add("Accept", "application/json");
    req.headers().add("User-Agent", user_agent);
    if (!r.bearer_token.empty()) req.headers().add("Authorization", "Bearer " + r.bearer_token);
    if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
      req.set_body(r.body, r.content_type.empty() ? "application/json" : r.content_type);
    }
    return req;
  }
};

static HttpResponse read_response(web::http::http_response& res) {
  HttpResponse out;
  out.status = res.status_code();
  for (const auto& [k, v] : res.headers()) out.headers[lower(k)] = v;
  const auto bytes = res.extract_vector().get();
  out.body.assign(bytes.begin(), bytes.end());
  return out;
}

Result<std::unique_ptr<HttpTransport>> HttpTransport::create(const ClusterConfig& config,
                                                             std::chrono::milliseconds timeout,
                                                             std::string user_agent) {
  if (config.server.rfind("https://", 0) != 0 && config.server.rfind("http://", 0) != 0) {
    return invalid_argument("server \"" + config.server + "\" is not an http(s) URL").add_context(config.source);
  }
  // Check the TLS material now, so that a broken file is one clear error at start-up
  // rather than an opaque handshake failure on every request.
  if (!config.ca_pem.empty()) {
    SSO_RETURN_IF_ERROR(pki::Certificate::chain_from_pem(config.ca_pem), config.source + ": certificate authority");
  }
  if (!config.client_cert_pem.empty()) {
    SSO_RETURN_IF_ERROR(pki::Certificate::chain_from_pem(config.client_cert_pem),
                        config.source + ": client certificate");
    SSO_RETURN_IF_ERROR(pki::PrivateKey::from_pem(config.client_key_pem.reveal()), config.source + ": client key");
  }
  try {
    auto impl = std::make_unique<Impl>();
    impl->config = config;
    impl->timeout = timeout;
    impl->user_agent = std::move(user_agent);
    web::uri check(config.server);
    (void)check;
    return std::unique_ptr<HttpTransport>(new HttpTransport(std::move(impl)));
  } catch (const std::exception& e) {
    return invalid_argument(std::string("server URL: ") + e.what()).add_context(config.source);
  }
}

HttpTransport::HttpTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpTransport::~HttpTransport() = default;

Result<HttpResponse> HttpTransport::send(const HttpRequest& request) {
  const std::string what = request.method + " " + request.path;
  for (int attempt = 0;; ++attempt) {
    auto client = impl_->client();
    try {
      auto res = client->request(impl_->make(request)).get();
      return read_response(res);
    } catch (const http_exception& e) {
      impl_->drop_client(client);
      // A kept-alive connection the server has since closed fails the next request on it;
      // Go's transport retries such a request once when it is idempotent, and so do we.
      if (attempt == 0 && e.error_code() != std::errc::timed_out &&
          (is_idempotent(request.method) || failed_before_sending(e))) {
        continue;
      }
      return transport_error(e, what);
    } catch (const std::exception& e) {
      impl_->drop_client(client);
      return Error(ErrorCode::kUnavailable, e.what()).add_context(what);
    }
  }
}

namespace {

class CpprestLineStream final : public LineStream {
 public:
  CpprestLineStream(std::unique_ptr<http_client> client, web::http::http_response response,
                    pplx::cancellation_token_source cancel)
      : client_(std::move(client)), response_(std::move(response)), body_(response_.body()), cancel_(cancel) {}
  ~CpprestLineStream() override { close(); }

  Result<std::optional<std::string>> next_line() override {
    while (true) {
      if (closed_) return unavailable("stream closed");
      try {
        concurrency::streams::container_buffer<std::string> line;
        const size_t n = body_.read_line(line).get();
        if (n == 0 && body_.is_eof()) return std::optional<std::string>();
        if (!line.collection().empty()) return std::optional<std::string>(line.collection());
      } catch (const http_exception& e) {
        return transport_error(e, "read stream");
      } catch (const std::exception& e) {
        return Error(ErrorCode::kUnavailable, e.what()).add_context("read stream");
      }
    }
  }

  void close() override {
    std::lock_guard lock(mu_);
    if (closed_.exchange(true)) return;
    cancel_.cancel();
    try {
      body_.close().wait();
    } catch (...) {
      // Closing a stream that already failed throws; it is closed either way.
    }
  }

 private:
  std::unique_ptr<http_client> client_;
  web::http::http_response response_;
  concurrency::streams::istream body_;
  pplx::cancellation_token_source cancel_;
  std::mutex mu_;
  std::atomic<bool> closed_{false};
};

}  // namespace

Result<std::unique_ptr<LineStream>> HttpTransport::open_stream(const HttpRequest& request,
                                                               std::chrono::seconds idle_timeout, HttpResponse* error) {
  const std::string what = request.method + " " + request.path;
  try {
    auto client = std::make_unique<http_client>(impl_->config.server, impl_->client_config(idle_timeout));
    pplx::cancellation_token_source cancel;
    auto res = client->request(impl_->make(request), cancel.get_token()).get();
    if (res.status_code() != 200) {
      if (error) *error = read_response(res);
      return std::unique_ptr<LineStream>();
    }
    return std::unique_ptr<LineStream>(std::make_unique<CpprestLineStream>(std::move(client), res, cancel));
  } catch (const http_exception& e) {
    return transport_error(e, what);
  } catch (const std::exception& e) {
    return Error(ErrorCode::kUnavailable, e.what()).add_context(what);
  }
}

}  // namespace sso::kube
