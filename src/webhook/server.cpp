#include "webhook/server.hpp"

#include <cpprest/http_listener.h>
#include <pplx/threadpool.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/system_error.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "base/log.hpp"
#include "kube/free_port.hpp"

namespace sso::webhook {
namespace {

using web::http::header_names;
using web::http::http_request;
using web::http::http_response;
using web::http::methods;
using web::http::status_code;
using web::http::status_codes;
using web::http::experimental::listener::http_listener;
using web::http::experimental::listener::http_listener_config;

constexpr std::string_view kLogger = "webhook";
constexpr size_t kReadChunk = size_t{64} * 1024;

// What the listener and every request being answered share. Exchanges hold it, so it
// outlives a stop() that gave up waiting for them.
struct Core {
  WebhookServerOptions options;
  std::map<std::string, AdmissionHandler> routes;
  metrics::WebhookMetrics* metrics = nullptr;

  std::mutex mu;
  std::condition_variable idle;
  int exchanges = 0;  // alive, guarded by mu
};

// controller-runtime's admission.Errored: allowed=false with status {code, message}; the
// uid when one could be read (kube-apiserver refuses an answer whose uid differs).
AdmissionResponse errored(int code, std::string reason, std::string message, std::string uid = {}) {
  AdmissionResponse r;
  r.uid = std::move(uid);
  r.allowed = false;
  r.code = code;
  r.status_reason = std::move(reason);
  r.message = std::move(message);
  return r;
}

// request.uid of a review the decoder refused, so that the error can still be matched to
// the call; empty when the body is not JSON or has none.
std::string uid_of(const std::string& body) {
  const auto review = nlohmann::json::parse(body, nullptr, false);
  if (!review.is_object()) return {};
  const auto request = review.find("request");
  if (request == review.end() || !request->is_object()) return {};
  const auto uid = request->find("uid");
  return uid != request->end() && uid->is_string() ? uid->get<std::string>() : std::string();
}

std::string lowercase(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// What the request's headers say about its body.
struct BodyFraming {
  bool chunked = false;
  size_t declared = 0;  // Content-Length; 0 when absent (cpprestsdk then reads no body)
};

BodyFraming framing_of(const http_request& request) {
  BodyFraming framing;
  utility::string_t encoding;
  framing.chunked = request.headers().match(header_names::transfer_encoding, encoding) &&
                    lowercase(encoding).find("chunked") != std::string::npos;
  if (!framing.chunked && !request.headers().match(header_names::content_length, framing.declared))
    framing.declared = 0;
  return framing;
}

// cpprestsdk hands the request over once its headers are parsed and goes on reading the body
// into a stream; it writes the answer only once that body has ended, and keeps in memory a
// body nobody reads. An answer that does not wait for the body (over the limit, too slow,
// wrong path) ends it here so that the answer can go out, and asks for the connection to be
// closed after it, so that the rest of the body is never read (Go's server also closes a
// connection whose handler left a large body unread). `consumed`: bytes already read from it.
//
// Ending the body means completing the request's "content ready" event, which cpprestsdk
// also completes when the body ends by itself; an error racing a success on that event trips
// an assertion in pplx (debug builds abort). So the stream is closed first, which makes
// cpprestsdk's next write into it fail (it then ends the body with that error itself), and
// the event is completed here only when cpprestsdk can no longer succeed: a Content-Length
// body that has not all arrived (short of a write already under way as the stream closes).
// A chunked body is left for cpprestsdk to end at its next chunk, so a chunked body that
// stalls keeps its answer until the client sends more or goes away.
void abandon_body(const http_request& request, const BodyFraming& framing, size_t consumed, http_response& response) {
  const auto abandoned = std::make_exception_ptr(std::runtime_error("request body abandoned"));
  const auto& impl = request._get_impl();
  impl->outstream().close(abandoned).then([](pplx::task<void> closed) {
    try {
      closed.get();
    } catch (...) {
    }
  });
  if (!framing.chunked && consumed + request.body().streambuf().in_avail() < framing.declared) {
    impl->_complete(0, abandoned);
  }
  response.headers().add(header_names::connection, U("close"));
}

// One admission request from the end of its headers to its answer. The exchange reads the
// body stream a chunk at a time, counting against the limit, with a timer for the deadline;
// it never blocks a cpprestsdk thread while it waits. Everything after start() happens in
// the chain of reads, one step at a time; the deadline only closes the stream under it.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(std::shared_ptr<Core> core, http_request request, std::string path, const AdmissionHandler& handler)
      : core_(std::move(core)),
        request_(request),
        path_(std::move(path)),
        handler_(handler),
        framing_(framing_of(request_)),
        started_(std::chrono::steady_clock::now()),
        timer_(crossplat::threadpool::shared_instance().service()),
        chunk_(kReadChunk) {
    std::lock_guard lock(core_->mu);
    ++core_->exchanges;
  }
  ~Exchange() {
    std::lock_guard lock(core_->mu);
    if (--core_->exchanges == 0) core_->idle.notify_all();
  }

  void start() {
    if (core_->metrics) core_->metrics->request_started(path_);
    const auto& options = core_->options;
    if (!framing_.chunked && framing_.declared == 0) {
      body_complete_ = true;  // cpprestsdk reads none
      fail(status_codes::BadRequest, "BadRequest", "request body is empty");
      return;
    }
    // controller-runtime reads up to the limit and then answers 413; with the length declared
    // the same answer can be given before reading any of it.
    if (!framing_.chunked && framing_.declared > options.max_body_bytes) {
      fail_too_large();
      return;
    }
    timer_.expires_after(options.request_timeout);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->on_deadline();
    });
    read_more();
  }

 private:
  void read_more() {
    // One byte past the limit is enough to know the body is over it. getn(n) completes once n
    // bytes are there or the body has ended.
    const size_t left = core_->options.max_body_bytes - body_.size();
    const size_t want = left < chunk_.size() ? left + 1 : chunk_.size();
    try {
      request_.body().streambuf().getn(chunk_.data(), want).then([self = shared_from_this()](pplx::task<size_t> read) {
        self->on_read(std::move(read));
      });
    } catch (const std::exception& e) {
      fail_unreadable(e.what());
    }
  }

  void on_read(pplx::task<size_t> read) {
    size_t n = 0;
    try {
      n = read.get();
    } catch (const std::exception& e) {
      on_body_error(e.what());
      return;
    } catch (...) {
      on_body_error("unknown error");
      return;
    }
    if (n == 0) {  // the body ended cleanly: it is all here (even if the deadline just passed)
      body_complete_ = true;
      answer();
      return;
    }
    body_.append(reinterpret_cast<const char*>(chunk_.data()), n);
    if (body_.size() > core_->options.max_body_bytes) {
      fail_too_large();
      return;
    }
    read_more();
  }

  // The stream ended with an error: the deadline closed it, or the connection broke. Either
  // way every byte written to it has been read by now.
  void on_body_error(const std::string& why) {
    if (!framing_.chunked && body_.size() == framing_.declared) {
      body_complete_ = true;  // the last bytes came in before the deadline closed the stream
      answer();
    } else if (expired_) {
      fail(status_codes::RequestTimeout, "Timeout",
           "request body not received within " + std::to_string(core_->options.request_timeout.count()) + "ms");
    } else {
      fail_unreadable(why);
    }
  }

  // On a cpprestsdk thread, concurrently with the chain of reads: closing the stream with an
  // error ends the read in progress, and the chain answers.
  void on_deadline() {
    expired_ = true;
    request_._get_impl()
        ->outstream()
        .close(std::make_exception_ptr(std::runtime_error("request body deadline exceeded")))
        .then([](pplx::task<void> closed) {
          try {
            closed.get();
          } catch (...) {
          }
        });
  }

  // The body is in: Content-Type, decode, the handler, encode (controller-runtime's order).
  void answer() {
    if (body_.empty()) {
      fail(status_codes::BadRequest, "BadRequest", "request body is empty");
      return;
    }
    const utility::string_t content_type = request_.headers().content_type();
    if (content_type != "application/json") {
      fail(status_codes::BadRequest, "BadRequest", "contentType=" + content_type + ", expected application/json");
      return;
    }
    auto request = decode_admission_review(body_);
    if (!request.ok()) {
      fail(status_codes::BadRequest, "BadRequest", request.error().describe(), uid_of(body_));
      return;
    }
    AdmissionResponse response;
    std::string encoded;
    try {
      response = handler_(*request);
      response.uid = request->uid;  // kube-apiserver matches the answer to its call by uid
      encoded = encode_admission_review(response);
    } catch (const std::exception& e) {
      // An exception is a programming error; it costs this request, not the process.
      log::error(kLogger, "admission handler failed", {{"webhook", path_}, {"uid", request->uid}, {"error", e.what()}});
      fail(status_codes::InternalError, "InternalError", "internal error while handling the admission request",
           request->uid);
      return;
    } catch (...) {
      log::error(kLogger, "admission handler failed", {{"webhook", path_}, {"uid", request->uid}});
      fail(status_codes::InternalError, "InternalError", "internal error while handling the admission request",
           request->uid);
      return;
    }
    if (core_->metrics) core_->metrics->count_decision(path_, decision_of(response), response.decision_reason);
    send(status_codes::OK, std::move(encoded), "application/json");
  }

  void fail_too_large() {
    fail(status_codes::RequestEntityTooLarge, "RequestEntityTooLarge",
         "request entity is too large; limit is " + std::to_string(core_->options.max_body_bytes) + " bytes");
  }
  void fail_unreadable(const std::string& why) {
    fail(status_codes::BadRequest, "BadRequest", "unable to read the body from the incoming request: " + why);
  }

  void fail(status_code code, std::string reason, std::string message, std::string uid = {}) {
    // The message stays out of the log: a decoder's may quote the body.
    log::debug(kLogger, "admission request refused", {{"webhook", path_}, {"code", std::to_string(code)}});
    std::string body;
    try {
      body = encode_admission_review(errored(code, std::move(reason), message, std::move(uid)));
    } catch (...) {
      // Not valid UTF-8 to put in JSON (a decoder message may quote the body): say it plainly.
      send(code, "admission request refused\n", "text/plain; charset=utf-8");
      return;
    }
    send(code, std::move(body), "application/json");
  }

  // Called once per exchange: from start(), or from the chain of reads.
  void send(status_code code, std::string body, const std::string& content_type) {
    timer_.cancel();  // its handler holds the exchange; let it go now
    http_response response(code);
    if (!body_complete_) abandon_body(request_, framing_, body_.size(), response);
    response.set_body(std::move(body), content_type);
    // Counted before the answer leaves, so that whoever reads the answer sees it counted.
    if (core_->metrics) {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started_;
      core_->metrics->request_finished(path_, code, took.count());
    }
    try {
      request_.reply(response);
    } catch (...) {
      // Already answered: the listener closed the connection under us (stop()).
    }
  }

  std::shared_ptr<Core> core_;
  http_request request_;
  const std::string path_;
  const AdmissionHandler& handler_;  // in core_->routes, which outlives the exchange
  const BodyFraming framing_;
  const std::chrono::steady_clock::time_point started_;
  boost::asio::steady_timer timer_;
  std::vector<uint8_t> chunk_;  // the read in progress writes here; lives as long as the exchange
  std::string body_;
  bool body_complete_ = false;        // only the chain of reads touches it
  std::atomic<bool> expired_{false};  // set by the deadline
};

// Answers what is not an admission request, without reading a body it may carry.
void refuse(const http_request& request, status_code code, const std::string& text) {
  http_response response(code);
  if (code == status_codes::MethodNotAllowed) response.headers().add(U("Allow"), U("POST"));
  const BodyFraming framing = framing_of(request);
  if (framing.chunked || framing.declared > 0) abandon_body(request, framing, 0, response);
  response.set_body(text, "text/plain; charset=utf-8");
  try {
    request.reply(response);
  } catch (...) {
  }
}

void dispatch(const std::shared_ptr<Core>& core, http_request request) {
  const std::string path = request.relative_uri().path();
  const auto route = core->routes.find(path);
  if (route == core->routes.end()) {
    refuse(request, status_codes::NotFound, "404 page not found\n");
    return;
  }
  if (request.method() != methods::POST) {
    refuse(request, status_codes::MethodNotAllowed, "Method Not Allowed\n");
    return;
  }
  std::make_shared<Exchange>(core, std::move(request), path, route->second)->start();
}

struct BindAddress {
  std::string host;
  int port = -1;
};

Result<BindAddress> parse_bind_address(const std::string& bind_address) {
  const auto colon = bind_address.rfind(':');
  if (colon == std::string::npos)
    return invalid_argument("bind address \"" + bind_address + "\": want HOST:PORT or :PORT");
  BindAddress parsed;
  parsed.host = bind_address.substr(0, colon);
  if (parsed.host.empty()) parsed.host = "0.0.0.0";
  const std::string port = bind_address.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    return invalid_argument("bind address \"" + bind_address + "\": bad port");
  parsed.port = std::stoi(port);
  if (parsed.port > 65535) return invalid_argument("bind address \"" + bind_address + "\": bad port");
  return parsed;
}

}  // namespace

struct WebhookServer::Impl {
  std::shared_ptr<Core> core;
  std::unique_ptr<http_listener> listener;
};

WebhookServer::WebhookServer(std::unique_ptr<Impl> impl, uint16_t port) : impl_(std::move(impl)), port_(port) {}
WebhookServer::~WebhookServer() { stop(); }

Result<std::unique_ptr<WebhookServer>> WebhookServer::start(WebhookServerOptions options,
                                                            const pki::ServingCredentials& credentials,
                                                            std::map<std::string, AdmissionHandler> routes,
                                                            metrics::WebhookMetrics* metrics) {
  SSO_ASSIGN_OR_RETURN(const BindAddress bind, parse_bind_address(options.bind_address), "start webhook server");
  if (options.max_body_bytes == 0) return invalid_argument("start webhook server: max_body_bytes must be positive");
  if (options.request_timeout <= std::chrono::milliseconds::zero())
    return invalid_argument("start webhook server: request_timeout must be positive");
  for (const auto& [path, handler] : routes) {
    if (path.empty() || path.front() != '/' || !handler)
      return invalid_argument("start webhook server: route \"" + path + "\" needs a path from / and a handler");
  }
  if (metrics) {
    for (const auto& [path, handler] : routes) metrics->add_webhook(path);
  }

  auto core = std::make_shared<Core>();
  core->options = std::move(options);
  core->routes = std::move(routes);
  core->metrics = metrics;

  http_listener_config config;
  // cpprestsdk builds a fresh SSL context for every accepted connection and calls this on it
  // before the handshake; a boost::system::system_error thrown here drops that connection
  // (any other exception would escape into its accept loop).
  const pki::ServingCredentials* serving = &credentials;
  config.set_ssl_context_callback([serving](boost::asio::ssl::context& ctx) {
    const Status configured = pki::configure_server_context(*ctx.native_handle(), *serving);
    if (!configured.ok()) {
      log::error(kLogger, "configure TLS for a connection", {{"error", configured.error().describe()}});
      throw boost::system::system_error(boost::asio::error::invalid_argument, "configure TLS");
    }
  });

  // Port 0: a free port, found before the bind (cpprestsdk cannot report the port it got);
  // another process may take it in between, so try a few.
  const int attempts = bind.port == 0 ? 3 : 1;
  std::string last_error;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    int port = bind.port;
    if (port == 0) {
      SSO_ASSIGN_OR_RETURN(port, kube::find_free_port(bind.host), "start webhook server");
    }
    auto impl = std::make_unique<Impl>();
    impl->core = core;
    try {
      impl->listener = std::make_unique<http_listener>("https://" + bind.host + ":" + std::to_string(port), config);
      std::weak_ptr<Core> weak = core;
      const auto handle = [weak](http_request request) {
        if (auto alive = weak.lock()) dispatch(alive, request);
      };
      impl->listener->support(handle);
      // cpprestsdk answers OPTIONS and TRACE itself unless told otherwise (TRACE would echo
      // the request); here they are methods like any other, refused with 405.
      impl->listener->support(methods::OPTIONS, handle);
      impl->listener->support(methods::TRCE, handle);
      impl->listener->open().wait();
    } catch (const std::exception& e) {
      last_error = "listen on " + bind.host + ":" + std::to_string(port) + ": " + e.what();
      continue;
    }
    log::info(kLogger, "serving admission webhooks", {{"address", bind.host + ":" + std::to_string(port)}});
    return std::unique_ptr<WebhookServer>(new WebhookServer(std::move(impl), static_cast<uint16_t>(port)));
  }
  return unavailable(last_error).add_context("start webhook server");
}

void WebhookServer::stop() {
  if (!impl_ || !impl_->listener) return;
  try {
    // Closes every connection: a body still being read ends, and its exchange answers.
    impl_->listener->close().wait();
  } catch (...) {
    // Closing a listener whose connections broke throws; it is closed either way.
  }
  impl_->listener.reset();
  auto& core = *impl_->core;
  std::unique_lock lock(core.mu);
  const auto patience = core.options.request_timeout + std::chrono::seconds(5);
  if (!core.idle.wait_for(lock, patience, [&] { return core.exchanges == 0; })) {
    // Each exchange holds the core; only `metrics`, borrowed, could be used after this.
    log::warn(kLogger, "stopped with admission requests still being answered",
              {{"requests", std::to_string(core.exchanges)}});
  }
}

}  // namespace sso::webhook
