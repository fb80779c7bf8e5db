#pragma once

// Internal to http_server.cpp: one accepted connection of the HTTP edge, from the TLS
// handshake to the close, over a plain or a TLS stream. Every step runs on the connection's
// strand, so a connection's state needs no lock.
#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "base/log.hpp"
#include "kube/http_server.hpp"

namespace sso::kube::http_edge {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr std::string_view kLogger = "http";

// What a server's connections share with it; each connection holds it.
struct Shared {
  HttpServerOptions options;
  std::map<std::string, HttpRoute> routes;

  std::mutex mu;
  std::condition_variable all_closed;
  std::map<uint64_t, std::function<void()>> aborts;  // live connections, guarded by mu
  uint64_t next_id = 0;

  // The route for `path`: its own, or the longest subtree ("/apis/") holding it; null when none.
  const HttpRoute* route_for(const std::string& path) const {
    if (const auto exact = routes.find(path); exact != routes.end()) return &exact->second;
    const HttpRoute* best = nullptr;
    size_t best_length = 0;
    for (const auto& [pattern, route] : routes) {
      if (pattern.back() == '/' && pattern.size() > best_length && path.compare(0, pattern.size(), pattern) == 0) {
        best = &route;
        best_length = pattern.size();
      }
    }
    return best;
  }
};

template <class Stream>
class Exchange;

inline bool is_tls(const beast::tcp_stream&) { return false; }
inline bool is_tls(const beast::ssl_stream<beast::tcp_stream>&) { return true; }

template <class Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(std::shared_ptr<Shared> shared, Stream stream)
      : shared_(std::move(shared)), stream_(std::move(stream)), timer_(stream_.get_executor()) {}

  ~Connection() { forget(); }

  // Registers the connection so that stop() can close it, then starts it on its strand.
  void run() {
    {
      std::lock_guard lock(shared_->mu);
      id_ = ++shared_->next_id;
      std::weak_ptr<Connection> weak = this->shared_from_this();
      shared_->aborts[id_] = [weak] {
        if (auto self = weak.lock()) net::post(self->stream_.get_executor(), [self] { self->close(); });
      };
    }
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->begin(); });
  }

 private:
  using Self = Connection<Stream>;
  const HttpServerLimits& limits() const { return shared_->options.limits; }
  auto& socket() { return beast::get_lowest_layer(stream_).socket(); }

  void begin() {
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      arm(limits().handshake_timeout);
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
    } else {
      read_header();
    }
  }

  void on_handshake(beast::error_code ec) {
    disarm();
    if (!ec) {
      read_header();
      return;
    }
    // OpenSSL recognises an HTTP request where a ClientHello should be; say so, as Go does.
    if (ec.category() == net::error::get_ssl_category() && ERR_GET_REASON(ec.value()) == SSL_R_HTTP_REQUEST) {
      static constexpr std::string_view kPlainHttp =
          "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
      arm(limits().write_timeout);
      net::async_write(socket(), net::buffer(kPlainHttp.data(), kPlainHttp.size()),
                       [self = this->shared_from_this()](beast::error_code, size_t) { self->linger(); });
      return;
    }
    log::debug(kLogger, "TLS handshake failed", {{"error", ec.message()}});
    close();
  }

  // Between requests on a kept-alive connection: the idle deadline, until a byte arrives.
  void await_request() {
    if (buffer_.size() > 0) {
      read_header();  // pipelined: the next request is already here
      return;
    }
    arm(limits().idle_timeout);
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              self->disarm();
                              if (ec) return self->close();
                              self->buffer_.commit(n);
                              self->read_header();
                            });
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits().max_header_bytes));
    // The body's limit depends on the path; until then a declared length is not refused.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    arm(limits().header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    disarm();
    if (ec == http::error::header_limit) return refuse_unparsed("431 Request Header Fields Too Large");
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::operation_aborted ||
        ec == net::ssl::error::stream_truncated || expired_ || closed_) {
      return close();  // gone, idle or too slow (Go closes silently past ReadHeaderTimeout)
    }
    if (ec) return refuse_unparsed("400 Bad Request");

    const auto& request = parser_->get();
    const std::string target(request.target());
    path_ = target.substr(0, target.find('?'));
    started_ = std::chrono::steady_clock::now();
    const HttpRoute* route = shared_->route_for(path_);
    if (!route) return answer({404, "text/plain; charset=utf-8", "404 page not found\n"});
    if (!route->method.empty() && std::string(request.method_string()) != route->method) {
      allow_ = route->method;
      return answer({405, "text/plain; charset=utf-8", "Method Not Allowed\n"});
    }
    route_ = route;
    if (shared_->options.on_started) shared_->options.on_started(path_);
    const size_t limit = limits().max_body_bytes;
    if (const auto declared = parser_->content_length(); declared && *declared > limit) return too_large();
    if (parser_->is_done()) return dispatch();
    parser_->body_limit(limit);
    arm(limits().body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    disarm();
    if (!ec) return dispatch();
    if (expired_) {
      return refuse(408, "Timeout",
                    "request body not received within " + std::to_string(limits().body_timeout.count()) + "ms");
    }
    if (ec == http::error::body_limit) return too_large();
    refuse(400, "BadRequest", "unable to read the body from the incoming request: " + ec.message());
  }

  void too_large() {
    refuse(413, "RequestEntityTooLarge",
           "request entity is too large; limit is " + std::to_string(limits().max_body_bytes) + " bytes");
  }

  void refuse(int status, const std::string& reason, const std::string& message) {
    const auto& word = shared_->options.refusal;
    answer(word ? word(status, reason, message) : HttpReply{status, "text/plain; charset=utf-8", message + "\n"});
  }

  void dispatch() {
    auto& message = parser_->get();
    ServerRequest request;
    request.method = std::string(message.method_string());
    request.path = path_;
    const std::string target(message.target());
    if (const auto mark = target.find('?'); mark != std::string::npos) request.query = target.substr(mark + 1);
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers[name] = std::string(field.value());
    }
    request.body = std::move(message.body());
    if (route_->serve) {
      auto exchange = std::make_shared<Exchange<Stream>>(this->shared_from_this());
      try {
        route_->serve(std::move(request), exchange);
      } catch (const std::exception& e) {
        log::error(kLogger, "handler failed", {{"path", path_}, {"error", e.what()}});
        exchange->reply({500, "text/plain; charset=utf-8", "internal error\n"});
      }
      return;
    }
    HttpReply reply;
    try {
      reply = route_->handle(request);
    } catch (const std::exception& e) {
      // A handler's exception is a programming error: it costs this request, not the process.
      log::error(kLogger, "handler failed", {{"path", path_}, {"error", e.what()}});
      reply = {500, "text/plain; charset=utf-8", "internal error\n"};
    }
    answer(reply);
  }

  // Writes the answer. The connection stays open for the next request only when the whole
  // request was read and its client keeps connections alive.
  void answer(const HttpReply& reply) {
    report_answered(reply.status);
    if (closed_) return;
    const bool keep_alive = parser_ && parser_->is_done() && parser_->get().keep_alive();
    response_.emplace(static_cast<http::status>(reply.status), 11);
    for (const auto& [name, value] : reply.headers) response_->insert(name, value);
    response_->set(http::field::content_type, reply.content_type);
    if (!allow_.empty()) response_->set(http::field::allow, std::exchange(allow_, {}));
    response_->keep_alive(keep_alive);
    response_->body() = reply.body;
    response_->prepare_payload();
    arm(limits().write_timeout);
    http::async_write(stream_, *response_, [self = this->shared_from_this(), keep_alive](beast::error_code ec, size_t) {
      self->disarm();
      self->response_.reset();
      if (ec) return self->close();
      if (keep_alive) return self->await_request();
      self->linger();
    });
  }

  void report_answered(int status) {
    if (!route_) return;
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started_;
    if (shared_->options.on_answered) shared_->options.on_answered(path_, status, took.count());
    route_ = nullptr;
  }

  // A streamed answer: the head now, then each chunk as it is queued, one write at a time.
  // The connection closes when the stream ends, as nothing tells when its client will next
  // write; meanwhile a read waits for the client to hang up, so that writers learn it is gone
  // before they have anything to write.
  void begin_stream(const HttpReply& head) {
    report_answered(head.status);
    if (closed_) return;
    stream_head_.emplace(static_cast<http::status>(head.status), 11);
    for (const auto& [name, value] : head.headers) stream_head_->insert(name, value);
    stream_head_->set(http::field::content_type, head.content_type);
    stream_head_->keep_alive(false);
    stream_head_->chunked(true);
    stream_serializer_.emplace(*stream_head_);
    writing_ = true;
    arm(limits().write_timeout);
    http::async_write_header(stream_, *stream_serializer_,
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               self->disarm();
                               if (ec) return self->close();
                               self->watch_for_hangup();
                               self->write_next();
                             });
  }

  void watch_for_hangup() {
    stream_.async_read_some(net::buffer(discard_), [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->close();
      self->watch_for_hangup();  // a client has nothing to say during a stream: dropped
    });
  }

  void queue_chunk(std::string chunk) {
    if (closed_ || finishing_ || chunk.empty()) return;  // an empty chunk would end the body
    chunks_.push_back(std::move(chunk));
    if (!writing_) write_next();
  }

  void finish_stream() {
    finishing_ = true;
    if (!writing_) write_next();
  }

  void write_next() {
    writing_ = false;
    if (closed_) return;
    if (!chunks_.empty()) {
      writing_ = true;
      arm(limits().write_timeout);
      net::async_write(stream_, http::make_chunk(net::buffer(chunks_.front())),
                       [self = this->shared_from_this()](beast::error_code ec, size_t) {
                         self->disarm();
                         if (ec) return self->close();
                         self->chunks_.pop_front();
                         self->write_next();
                       });
      return;
    }
    if (!finishing_ || last_sent_) return;
    last_sent_ = writing_ = true;
    arm(limits().write_timeout);
    net::async_write(stream_, http::make_chunk_last(), [self = this->shared_from_this()](beast::error_code ec, size_t) {
      self->disarm();
      if (ec) return self->close();
      // The read still waiting for a hang-up drains, and ends the connection at the client's
      // close or the deadline.
      beast::error_code ignored;
      self->socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
      self->arm(kLingerTime);
    });
  }

  // A request the parser refused (headers too large, not HTTP): Go's plain answer, then close.
  void refuse_unparsed(std::string_view text) {
    wire_ = "HTTP/1.1 " + std::string(text) +
            "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n" + std::string(text);
    arm(limits().write_timeout);
    net::async_write(stream_, net::buffer(wire_), [self = this->shared_from_this()](beast::error_code ec, size_t) {
      self->disarm();
      if (ec) return self->close();
      self->linger();
    });
  }

  // Closes after an answer that may have left part of a request unread. Closing a socket with
  // unread input resets the connection, and a reset can destroy the answer before the client
  // reads it; so the sending side is shut first and what the client still sends is read and
  // dropped, for a short while only (Go's closeWriteAndWait does the same).
  void linger() {
    beast::error_code ignored;
    socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    arm(kLingerTime);
    drain();
  }

  void drain() {
    socket().async_read_some(net::buffer(discard_), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
      self->drained_ += n;
      if (ec || self->expired_ || self->drained_ > kLingerBytes) return self->close();
      self->drain();
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    gone_ = true;
    timer_.cancel();
    beast::error_code ignored;
    socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
    forget();  // closed is enough for stop(), though an exchange may still hold the object
  }

  void forget() {
    std::lock_guard lock(shared_->mu);
    if (shared_->aborts.erase(id_) > 0 && shared_->aborts.empty()) shared_->all_closed.notify_all();
  }

  // One deadline at a time: its expiry cancels the operation in progress, whose handler then
  // sees expired_ and decides (408 for a body, a close otherwise).
  void arm(std::chrono::milliseconds after) {
    if (closed_) return;
    expired_ = false;
    const uint64_t epoch = ++epoch_;
    timer_.expires_after(after);
    timer_.async_wait([self = this->shared_from_this(), epoch](beast::error_code ec) {
      if (ec || epoch != self->epoch_ || self->closed_) return;
      self->expired_ = true;
      beast::error_code ignored;
      self->socket().cancel(ignored);
    });
  }
  void disarm() {
    ++epoch_;
    timer_.cancel();
  }

  static constexpr size_t kReadChunk = size_t{16} * 1024;
  static constexpr std::chrono::milliseconds kLingerTime{500};
  static constexpr size_t kLingerBytes = size_t{4} << 20;

  std::shared_ptr<Shared> shared_;
  Stream stream_;
  net::steady_timer timer_;
  uint64_t id_ = 0;
  uint64_t epoch_ = 0;
  bool expired_ = false;
  bool closed_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  std::string wire_;
  std::string path_;
  std::string allow_;
  const HttpRoute* route_ = nullptr;  // set while a request on a known path is unanswered
  std::chrono::steady_clock::time_point started_;
  std::array<char, kReadChunk> discard_{};
  size_t drained_ = 0;
  // A streamed answer.
  std::optional<http::response<http::empty_body>> stream_head_;
  std::optional<http::response_serializer<http::empty_body>> stream_serializer_;
  std::deque<std::string> chunks_;
  bool writing_ = false;
  bool finishing_ = false;
  bool last_sent_ = false;
  std::atomic<bool> gone_{false};  // closed: read by exchanges on other threads

  friend class Exchange<Stream>;
};

// HttpExchange over one connection: each call moves onto the connection's strand.
template <class Stream>
class Exchange final : public HttpExchange {
 public:
  explicit Exchange(std::shared_ptr<Connection<Stream>> connection) : connection_(std::move(connection)) {}
  ~Exchange() override {
    if (!answered_.exchange(true)) {
      log::error(kLogger, "request dropped unanswered", {{"path", connection_->path_}});
      on_strand(
          [reply = HttpReply{500, "text/plain; charset=utf-8", "internal error\n"}](auto& c) { c.answer(reply); });
    } else {
      end_stream();
    }
  }
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  void reply(HttpReply reply) override {
    if (answered_.exchange(true)) return;
    on_strand([reply = std::move(reply)](auto& c) { c.answer(reply); });
  }
  void start_stream(HttpReply head) override {
    if (answered_.exchange(true)) return;
    streaming_ = true;
    on_strand([head = std::move(head)](auto& c) { c.begin_stream(head); });
  }
  bool write(std::string chunk) override {
    if (!streaming_ || ended_ || connection_->gone_) return false;
    on_strand([chunk = std::move(chunk)](auto& c) mutable { c.queue_chunk(std::move(chunk)); });
    return true;
  }
  void end_stream() override {
    if (!streaming_ || ended_.exchange(true)) return;
    on_strand([](auto& c) { c.finish_stream(); });
  }

 private:
  template <class Step>
  void on_strand(Step step) {
    net::post(connection_->stream_.get_executor(),
              [connection = connection_, step = std::move(step)]() mutable { step(*connection); });
  }

  std::shared_ptr<Connection<Stream>> connection_;
  std::atomic<bool> answered_{false};
  std::atomic<bool> streaming_{false};
  std::atomic<bool> ended_{false};
};

}  // namespace sso::kube::http_edge
