#include "apiserver/webhook_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "pki/openssl_ptr.hpp"

namespace sso::apiserver {
namespace {

using SslCtxPtr = std::unique_ptr<SSL_CTX, pki::OpenSslFree<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, pki::OpenSslFree<SSL_free>>;

struct Socket {
  int fd = -1;
  ~Socket() {
    if (fd >= 0) close(fd);
  }
};

Error failure(const WebhookRequest& r, const std::string& why) {
  return Error(ErrorCode::kUnavailable, "failed to call webhook: Post \"https://" + r.server_name + ":" +
                                            std::to_string(r.port) + r.path + "\": " + why);
}

std::string ssl_error_text() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "connection closed";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// Decodes a chunked body (RFC 9112 7.1).
bool dechunk(const std::string& in, std::string& out) {
  size_t pos = 0;
  while (true) {
    const size_t eol = in.find("\r\n", pos);
    if (eol == std::string::npos) return false;
    const size_t len = std::strtoul(in.substr(pos, eol - pos).c_str(), nullptr, 16);
    if (len == 0) return true;
    if (eol + 2 + len > in.size()) return false;
    out += in.substr(eol + 2, len);
    pos = eol + 2 + len + 2;
  }
}

}  // namespace

Result<std::string> post_to_webhook(const WebhookRequest& r) {
  Socket sock;
  sock.fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{static_cast<time_t>(r.timeout.count() / 1000),
             static_cast<suseconds_t>((r.timeout.count() % 1000) * 1000)};
  setsockopt(sock.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(sock.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(r.port);
  inet_pton(AF_INET, r.host.c_str(), &addr.sin_addr);
  if (connect(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return failure(r, "dial tcp " + r.host + ":" + std::to_string(r.port) + ": connect: connection refused");

  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  pki::BioPtr bio(BIO_new_mem_buf(r.ca_bundle_pem.data(), static_cast<int>(r.ca_bundle_pem.size())));
  int anchors = 0;
  while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), ca);
    X509_free(ca);
    ++anchors;
  }
  ERR_clear_error();
  if (anchors == 0) return failure(r, "x509: certificate signed by unknown authority (no caBundle)");
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  SslPtr ssl(SSL_new(ctx.get()));
  SSL_set_fd(ssl.get(), sock.fd);
  SSL_set_tlsext_host_name(ssl.get(), r.server_name.c_str());
  SSL_set1_host(ssl.get(), r.server_name.c_str());
  if (SSL_connect(ssl.get()) != 1) {
    const long verify = SSL_get_verify_result(ssl.get());
    if (verify != X509_V_OK) {
      ERR_clear_error();
      return failure(r,
                     std::string("tls: failed to verify certificate: x509: ") + X509_verify_cert_error_string(verify));
    }
    return failure(r, "remote error: " + ssl_error_text());
  }

  const std::string head = "POST " + r.path + "?timeout=" + std::to_string(r.timeout.count() / 1000) +
                           "s HTTP/1.1\r\nHost: " + r.server_name + ":" + std::to_string(r.port) +
                           "\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: " +
                           std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n";
  const std::string message = head + r.body;
  if (SSL_write(ssl.get(), message.data(), static_cast<int>(message.size())) <= 0)
    return failure(r, "write: " + ssl_error_text());
  std::string response;
  char buf[16384];
  const auto deadline = std::chrono::steady_clock::now() + r.timeout;
  while (true) {
    if (std::chrono::steady_clock::now() > deadline) return failure(r, "context deadline exceeded");
    const int n = SSL_read(ssl.get(), buf, sizeof buf);
    if (n > 0) {
      response.append(buf, static_cast<size_t>(n));
      const size_t end_of_head = response.find("\r\n\r\n");
      if (end_of_head != std::string::npos) {
        // Stop as soon as the whole body is here; the peer need not close.
        const auto cl = response.find("Content-Length:");
        const auto cl_lower = response.find("content-length:");
        const size_t at = cl != std::string::npos ? cl : cl_lower;
        if (at != std::string::npos && at < end_of_head) {
          const size_t len = std::strtoul(response.c_str() + at + 15, nullptr, 10);
          if (response.size() >= end_of_head + 4 + len) break;
        }
      }
      continue;
    }
    const int err = SSL_get_error(ssl.get(), n);
    if (err == SSL_ERROR_ZERO_RETURN || err == SSL_ERROR_SYSCALL) break;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return failure(r, "context deadline exceeded");
    return failure(r, "read: " + ssl_error_text());
  }
  ERR_clear_error();
  const size_t end_of_head = response.find("\r\n\r\n");
  if (end_of_head == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) return failure(r, "context deadline exceeded");
    return failure(r, "EOF");
  }
  const std::string status_line = response.substr(0, response.find("\r\n"));
  const int code = std::atoi(status_line.substr(status_line.find(' ') + 1, 3).c_str());
  std::string headers = response.substr(0, end_of_head);
  std::string body = response.substr(end_of_head + 4);
  for (auto& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (headers.find("transfer-encoding: chunked") != std::string::npos) {
    std::string decoded;
    if (!dechunk(body, decoded)) return failure(r, "malformed chunked encoding");
    body = decoded;
  }
  if (code != 200) return failure(r, "the server responded with status " + std::to_string(code));
  return body;
}

}  // namespace sso::apiserver
