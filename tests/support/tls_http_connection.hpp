#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "pki/openssl_ptr.hpp"

namespace sso::testing {

// Where to connect and whom to trust, as kube-apiserver calls a webhook: TCP to host:port,
// TLS 1.2 or later with SNI `server_name`, the certificate verified against `ca_bundle_pem`
// for that name.
struct TlsHttpOptions {
  std::string host = "127.0.0.1";  // an IPv4 address
  uint16_t port = 0;
  std::string server_name;
  std::string ca_bundle_pem;
  std::chrono::milliseconds timeout{10000};  // bounds the connect, the handshake and each write
};

struct HttpResponse {
  int code = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  // The value of header `name` (lower-case), "" when absent.
  std::string header(const std::string& name) const;
};

// One kept-alive HTTP/1.1 connection over TLS, written byte by byte so that callers control
// keep-alive, Content-Length and chunking: the API test server calling a webhook, the
// webhook's integration tests, bench_webhook. Errors are worded as Go's net/http and
// crypto/tls word them (kube-apiserver quotes them), with the step as context.
class TlsHttpConnection {
 public:
  // Connects and handshakes. Fails with Unavailable when the connection or the handshake
  // fails, FailedPrecondition when the certificate does not verify (or nothing to verify
  // it against was given).
  static Result<std::unique_ptr<TlsHttpConnection>> open(const TlsHttpOptions& options);

  // Closes as Go's tls.Conn does, with a close_notify first. None once the server has closed
  // or said it would (Connection: close): the alert would meet a closed socket, and a write
  // after its reset raises SIGPIPE.
  ~TlsHttpConnection();
  TlsHttpConnection(const TlsHttpConnection&) = delete;
  TlsHttpConnection& operator=(const TlsHttpConnection&) = delete;

  Status send(std::string_view bytes);

  // Reads one response, its body framed by Content-Length, chunked, or the end of the
  // connection. DeadlineExceeded when none is complete within `timeout`.
  Result<HttpResponse> read_response(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Whether the server has closed the connection: the next read ends (with or without a
  // close_notify) instead of waiting for more. Discards what it reads.
  bool closed_by_server(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // The certificate the server presented (never null once open).
  pki::X509Ptr peer_certificate() const;

 private:
  using SslCtxPtr = std::unique_ptr<SSL_CTX, pki::OpenSslFree<SSL_CTX_free>>;
  using SslPtr = std::unique_ptr<SSL, pki::OpenSslFree<SSL_free>>;
  struct Socket {
    int fd = -1;
    ~Socket();
  };

  TlsHttpConnection() = default;
  void set_receive_timeout(std::chrono::microseconds timeout);
  // The response at the front of what has been read; nullopt while incomplete. At the end
  // of the connection, always an answer.
  std::optional<Result<HttpResponse>> take_response(bool at_eof);

  Socket socket_;  // declared first: closed after the SSL that uses it is freed
  SslCtxPtr ctx_;
  SslPtr ssl_;
  std::string pending_;  // read and not yet taken
  bool server_closing_ = false;
};

// A POST of a JSON body as Go's net/http writes kube-apiserver's call to a webhook; with
// `close_after`, asking the server to close once it has answered (Connection: close).
std::string json_post(std::string_view host, std::string_view target, std::string_view body, bool close_after = false);

}  // namespace sso::testing
