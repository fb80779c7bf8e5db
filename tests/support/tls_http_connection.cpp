#include "tls_http_connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace sso::testing {
namespace {

using std::chrono::microseconds;

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// As Go's syscall errors read: "connection refused".
std::string errno_text(int error) {
  if (error == EINPROGRESS || error == EAGAIN) return "i/o timeout";
  return lowercase(std::strerror(error));
}

// Takes OpenSSL's first queued error and drops the rest, so that none is blamed on a later call.
std::string ssl_error_text() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "connection closed";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// A read or write on a socket with SO_RCVTIMEO/SO_SNDTIMEO that ran out of time.
bool timed_out(int ssl_error, int saved_errno) {
  return ssl_error == SSL_ERROR_WANT_READ || ssl_error == SSL_ERROR_WANT_WRITE ||
         (ssl_error == SSL_ERROR_SYSCALL && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK));
}

timeval to_timeval(microseconds timeout) {
  timeout = std::max(timeout, microseconds(1));  // zero would mean no timeout at all
  return {static_cast<time_t>(timeout.count() / 1000000), static_cast<suseconds_t>(timeout.count() % 1000000)};
}

Error read_error(ErrorCode code, std::string message) {
  return Error(code, std::move(message)).add_context("read response");
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

TlsHttpConnection::Socket::~Socket() {
  if (fd >= 0) close(fd);
}

Result<std::unique_ptr<TlsHttpConnection>> TlsHttpConnection::open(const TlsHttpOptions& options) {
  std::unique_ptr<TlsHttpConnection> conn(new TlsHttpConnection());
  const std::string dial = "dial tcp " + options.host + ":" + std::to_string(options.port) + ": ";
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(options.port);
  if (inet_pton(AF_INET, options.host.c_str(), &address.sin_addr) != 1)
    return Error(ErrorCode::kInvalidArgument, dial + "not an IPv4 address");
  const int fd = conn->socket_.fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Error(ErrorCode::kUnavailable, dial + "socket: " + errno_text(errno));
  const timeval tv = to_timeval(options.timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const int one = 1;  // as Go's net package sets on every TCP connection
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
    return Error(ErrorCode::kUnavailable, dial + "connect: " + errno_text(errno));

  conn->ctx_.reset(SSL_CTX_new(TLS_client_method()));
  if (!conn->ctx_) return pki::openssl_error("create TLS context");
  SSL_CTX* ctx = conn->ctx_.get();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // A connection that ends without a close_notify ends a body framed by the connection's end.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  pki::BioPtr bio(BIO_new_mem_buf(options.ca_bundle_pem.data(), static_cast<int>(options.ca_bundle_pem.size())));
  int anchors = 0;
  while (pki::X509Ptr ca{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca.get());
    ++anchors;
  }
  pki::clear_openssl_errors();  // the end of the bundle
  if (anchors == 0)
    return Error(ErrorCode::kFailedPrecondition, "x509: certificate signed by unknown authority (no caBundle)");
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);

  conn->ssl_.reset(SSL_new(ctx));
  if (!conn->ssl_) return pki::openssl_error("create TLS connection");
  SSL* ssl = conn->ssl_.get();
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, options.server_name.c_str());
  SSL_set1_host(ssl, options.server_name.c_str());
  if (SSL_connect(ssl) != 1) {
    const std::string step = "TLS handshake with " + options.server_name;
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
      pki::clear_openssl_errors();
      return Error(ErrorCode::kFailedPrecondition,
                   std::string("tls: failed to verify certificate: x509: ") + X509_verify_cert_error_string(verify))
          .add_context(step);
    }
    return Error(ErrorCode::kUnavailable, "remote error: " + ssl_error_text()).add_context(step);
  }
  return conn;
}

TlsHttpConnection::~TlsHttpConnection() {
  if (ssl_ && SSL_is_init_finished(ssl_.get()) && !server_closing_) SSL_shutdown(ssl_.get());
  ERR_clear_error();
}

Status TlsHttpConnection::send(std::string_view bytes) {
  if (bytes.empty()) return ok_status();
  if (SSL_write(ssl_.get(), bytes.data(), static_cast<int>(bytes.size())) != static_cast<int>(bytes.size()))
    return Error(ErrorCode::kUnavailable, "write: " + ssl_error_text());
  return ok_status();
}

Result<HttpResponse> TlsHttpConnection::read_response(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[16384];
  while (true) {
    if (auto response = take_response(false)) return std::move(*response);
    const auto left = std::chrono::duration_cast<microseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= microseconds(0)) return read_error(ErrorCode::kDeadlineExceeded, "context deadline exceeded");
    set_receive_timeout(left);
    const int n = SSL_read(ssl_.get(), buf, sizeof buf);
    const int saved_errno = errno;
    if (n > 0) {
      pending_.append(buf, static_cast<size_t>(n));
      continue;
    }
    const int error = SSL_get_error(ssl_.get(), n);
    if (timed_out(error, saved_errno)) {
      ERR_clear_error();
      return read_error(ErrorCode::kDeadlineExceeded, "context deadline exceeded");
    }
    if (error != SSL_ERROR_ZERO_RETURN && error != SSL_ERROR_SYSCALL)
      return read_error(ErrorCode::kUnavailable, "read: " + ssl_error_text());
    ERR_clear_error();
    server_closing_ = true;
    return std::move(*take_response(true));
  }
}

bool TlsHttpConnection::closed_by_server(std::chrono::milliseconds timeout) {
  set_receive_timeout(timeout);
  char buf[1024];
  while (true) {
    const int n = SSL_read(ssl_.get(), buf, sizeof buf);
    const int saved_errno = errno;
    if (n > 0) continue;
    const bool closed = !timed_out(SSL_get_error(ssl_.get(), n), saved_errno);
    ERR_clear_error();
    server_closing_ = server_closing_ || closed;
    return closed;
  }
}

pki::X509Ptr TlsHttpConnection::peer_certificate() const { return pki::X509Ptr(SSL_get1_peer_certificate(ssl_.get())); }

void TlsHttpConnection::set_receive_timeout(microseconds timeout) {
  const timeval tv = to_timeval(timeout);
  setsockopt(socket_.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

std::optional<Result<HttpResponse>> TlsHttpConnection::take_response(bool at_eof) {
  using Taken = std::optional<Result<HttpResponse>>;
  auto incomplete = [&]() -> Taken {
    if (!at_eof) return std::nullopt;
    return read_error(ErrorCode::kUnavailable, pending_.empty() ? "EOF" : "unexpected EOF");
  };
  const size_t end_of_head = pending_.find("\r\n\r\n");
  if (end_of_head == std::string::npos) return incomplete();

  // "HTTP/1.1 200 OK", then "Name: value" lines.
  HttpResponse response;
  const std::string_view head(pending_.data(), end_of_head);
  size_t line_end = head.find("\r\n");
  const std::string_view status = head.substr(0, line_end);
  const size_t space = status.find(' ');
  if (space == std::string_view::npos ||
      std::from_chars(status.data() + space + 1, status.data() + status.size(), response.code).ec != std::errc())
    return read_error(ErrorCode::kInvalidArgument, "malformed HTTP response: " + std::string(status));
  while (line_end != std::string_view::npos) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string_view line = head.substr(start, line_end == std::string_view::npos ? line_end : line_end - start);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos)
      response.headers[lowercase(line.substr(0, colon))] = std::string(trim(line.substr(colon + 1)));
  }

  // The body (RFC 9112 6.3): chunked, else Content-Length, else none for 1xx, 204 and 304,
  // else up to the end of the connection.
  size_t at = end_of_head + 4;
  if (lowercase(response.header("transfer-encoding")).ends_with("chunked")) {
    const auto malformed = [] { return read_error(ErrorCode::kInvalidArgument, "malformed chunked encoding"); };
    while (true) {
      const size_t eol = pending_.find("\r\n", at);
      if (eol == std::string::npos) return incomplete();
      size_t size = 0;
      const auto [end, ec] = std::from_chars(pending_.data() + at, pending_.data() + eol, size, 16);
      if (ec != std::errc() || (end != pending_.data() + eol && *end != ';' && *end != ' ' && *end != '\t'))
        return malformed();
      if (size == 0) {  // the last chunk, then trailers up to an empty line
        const size_t end_of_trailers = pending_.find("\r\n\r\n", eol);
        if (end_of_trailers == std::string::npos) return incomplete();
        at = end_of_trailers + 4;
        break;
      }
      if (size > pending_.size() || eol + 2 + size + 2 > pending_.size()) return incomplete();
      if (pending_.compare(eol + 2 + size, 2, "\r\n") != 0) return malformed();
      response.body.append(pending_, eol + 2, size);
      at = eol + 2 + size + 2;
    }
  } else if (response.headers.contains("content-length")) {
    const std::string text = response.header("content-length");
    size_t length = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), length);
    if (ec != std::errc() || end != text.data() + text.size())
      return read_error(ErrorCode::kInvalidArgument, "malformed Content-Length " + text);
    if (pending_.size() - at < length) return incomplete();
    response.body = pending_.substr(at, length);
    at += length;
  } else if (response.code / 100 != 1 && response.code != 204 && response.code != 304) {
    if (!at_eof) return std::nullopt;
    response.body = pending_.substr(at);
    at = pending_.size();
  }
  pending_.erase(0, at);
  if (lowercase(response.header("connection")) == "close") server_closing_ = true;
  return response;
}

std::string json_post(std::string_view host, std::string_view target, std::string_view body, bool close_after) {
  std::string request;
  request.reserve(256 + body.size());
  request.append("POST ").append(target).append(" HTTP/1.1\r\nHost: ").append(host);
  request.append("\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: ");
  request.append(std::to_string(body.size())).append("\r\n");
  if (close_after) request.append("Connection: close\r\n");
  return request.append("\r\n").append(body);
}

}  // namespace sso::testing
