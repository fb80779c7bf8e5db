#include "apiserver/http_edge.hpp"

#include <cpprest/http_listener.h>
#include <cpprest/producerconsumerstream.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "kube/free_port.hpp"

namespace sso::apiserver {
namespace {

using web::http::http_request;
using web::http::http_response;
using web::http::experimental::listener::http_listener;
using web::http::experimental::listener::http_listener_config;

HttpRequest to_plain(http_request& req) {
  HttpRequest out;
  out.method = req.method();
  out.path = web::uri::decode(req.relative_uri().path());
  for (const auto& [k, v] : web::uri::split_query(req.relative_uri().query())) {
    std::string value = v;
    std::replace(value.begin(), value.end(), '+', ' ');
    out.query[web::uri::decode(k)] = web::uri::decode(value);
  }
  for (const auto& [name, value] : req.headers()) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    out.headers[lower] = value;
  }
  const auto bytes = req.extract_vector().get();
  out.body.assign(bytes.begin(), bytes.end());
  return out;
}

class CppRestResponder final : public Responder {
 public:
  explicit CppRestResponder(http_request req) : req_(std::move(req)) {}

  void respond(const ApiResponse& response) override {
    http_response res(static_cast<web::http::status_code>(response.code));
    for (const auto& [k, v] : response.headers) res.headers().add(k, v);
    if (response.body.is_string()) {
      const std::string& text = response.body.get_ref<const std::string&>();
      res.set_body(std::vector<unsigned char>(text.begin(), text.end()));
      res.headers().set_content_type(response.content_type.empty() ? "text/plain; charset=utf-8"
                                                                   : response.content_type);
    } else {
      res.set_body(response.body.dump(), "application/json");
    }
    req_.reply(res).then([](pplx::task<void> t) {
      try {
        t.get();
      } catch (...) {  // the client went away
      }
    });
  }

  Stream open_stream(const std::string& content_type) override {
    concurrency::streams::producer_consumer_buffer<uint8_t> buffer;
    http_response res(web::http::status_codes::OK);
    res.headers().set_content_type(content_type);
    res.set_body(buffer.create_istream());
    // The reply ends when the stream is closed, or when sending fails because the client
    // has gone: from then on writes report the watch as over, so it is let go.
    auto alive = std::make_shared<std::atomic<bool>>(true);
    req_.reply(res).then([alive](pplx::task<void> t) {
      alive->store(false);
      try {
        t.get();
      } catch (...) {
      }
    });
    Stream stream;
    stream.write = [buffer, alive](const std::string& line) mutable {
      if (!alive->load() || !buffer.can_write()) return false;
      buffer.putn_nocopy(reinterpret_cast<const uint8_t*>(line.data()), line.size()).wait();
      buffer.sync().wait();
      return true;
    };
    stream.close = [buffer]() mutable {
      if (buffer.can_write()) buffer.close(std::ios_base::out).wait();
    };
    return stream;
  }

 private:
  http_request req_;
};

// Whether something accepts connections on 127.0.0.1:port.
bool listening(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

struct HttpEdge::Impl {
  ApiServer& api;
  std::string cert_pem;
  std::string key_pem;
  uint16_t port = 0;
  std::unique_ptr<http_listener> listener;
  // Requests still being handled (a fault's latency holds one for a while). The listener must
  // outlive their replies: closing it under them crashes inside cpprestsdk.
  std::atomic<int> in_flight{0};

  Status open() {
    http_listener_config config;
    config.set_ssl_context_callback([this](boost::asio::ssl::context& ctx) {
      ctx.set_options(boost::asio::ssl::context::default_workarounds | boost::asio::ssl::context::no_sslv2 |
                      boost::asio::ssl::context::no_sslv3 | boost::asio::ssl::context::no_tlsv1 |
                      boost::asio::ssl::context::no_tlsv1_1);
      ctx.use_certificate_chain(boost::asio::buffer(cert_pem));
      ctx.use_private_key(boost::asio::buffer(key_pem), boost::asio::ssl::context::pem);
    });
    listener = std::make_unique<http_listener>("https://127.0.0.1:" + std::to_string(port), config);
    auto handler = [this](http_request req) {
      ++in_flight;
      struct Done {
        std::atomic<int>& count;
        ~Done() { --count; }
      } done{in_flight};
      try {
        HttpRequest plain = to_plain(req);
        CppRestResponder responder(req);
        api.handle(plain, responder);
      } catch (const std::exception& e) {
        req.reply(web::http::status_codes::InternalError, std::string("internal error: ") + e.what());
      }
    };
    listener->support(handler);
    try {
      listener->open().wait();
    } catch (const std::exception& e) {
      return Error(ErrorCode::kUnavailable,
                   std::string("listen on 127.0.0.1:") + std::to_string(port) + ": " + e.what());
    }
    return ok_status();
  }

  void close() {
    if (!listener) return;
    // Bounded, so that a handler stuck on something else cannot hang a test's teardown.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    try {
      listener->close().wait();
    } catch (const std::exception&) {
    }
    listener.reset();
  }
};

HttpEdge::HttpEdge(std::unique_ptr<Impl> impl, uint16_t port) : impl_(std::move(impl)), port_(port) {}

HttpEdge::~HttpEdge() { stop(); }

Result<std::unique_ptr<HttpEdge>> HttpEdge::start(ApiServer& api, uint16_t port, std::string cert_chain_pem,
                                                  std::string key_pem) {
  std::unique_ptr<Impl> impl(new Impl{api, std::move(cert_chain_pem), std::move(key_pem), port, nullptr});
  // A port picked by find_free_port() may be taken again before we listen: try a few.
  for (int attempt = 0;; ++attempt) {
    if (port == 0) {
      SSO_ASSIGN_OR_RETURN(impl->port, kube::find_free_port("127.0.0.1"), "start API test server");
    }
    Status opened = impl->open();
    if (opened.ok()) break;
    if (port != 0 || attempt == 4) return std::move(opened).error().add_context("start API test server");
  }
  const uint16_t bound = impl->port;
  return std::unique_ptr<HttpEdge>(new HttpEdge(std::move(impl), bound));
}

Status HttpEdge::restart() {
  // The listener waits for streaming responses to finish before it closes, so the watches end first.
  impl_->api.store().close_all_watches();
  impl_->close();
  // cpprestsdk tears the old listener's acceptor down asynchronously, and the teardown can take
  // the new one with it; a client's outgoing connection may also hold the port for a moment.
  // So the port is checked to be listening, and opened again until it is.
  Status opened = impl_->open();
  for (int attempt = 0; attempt < 20; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (opened.ok() && listening(port_)) return opened;
    impl_->close();
    opened = impl_->open();
  }
  if (opened.ok()) return unavailable("restart: 127.0.0.1:" + std::to_string(port_) + " is not listening");
  return opened;
}

void HttpEdge::stop() {
  if (impl_) {
    impl_->api.store().close_all_watches();
    impl_->close();
  }
}

}  // namespace sso::apiserver
