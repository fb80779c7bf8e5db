// A real mutual-TLS handshake over loopback TCP between two endpoints that wear identities
// minted by the PKI engine, with OpenSSL's own peer verification (as a sidecar or an
// application using OpenSSL would configure it).
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "pki/certificate_authority.hpp"
#include "pki_fixtures.hpp"
#include "status_matchers.hpp"

namespace sso::pki {
namespace {

using namespace std::chrono_literals;

using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslFree<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, OpenSslFree<SSL_free>>;

TimePoint now() { return std::chrono::system_clock::now(); }

IdentityRequest request_for(const std::string& service, TlsMode mode = TlsMode::kMutual) {
  IdentityRequest r;
  r.common_name = service + ".shop.svc";
  r.dns_names = {service, service + ".shop", service + ".shop.svc"};
  r.spiffe_id = "spiffe://cluster.local/ns/shop/sa/" + service;
  r.mode = mode;
  return r;
}

// A TLS 1.2+ context presenting `identity` and trusting `ca`, requiring a peer certificate.
SslCtxPtr make_context(bool server, const Identity& identity, const Certificate& ca) {
  SslCtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_use_certificate(ctx.get(), &identity.leaf().native()), 1);
  EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), &identity.key.native()), 1);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), &ca.native());
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return ctx;
}

std::string ssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += std::string(buf) + "; ";
  }
  return out;
}

struct Outcome {
  bool server_ok = false;
  bool client_ok = false;
  std::string server_error;
  std::string client_error;
  std::string client_spiffe_id_seen_by_server;
};

// Serves one connection; the client sends "ping" and expects "pong" back, so that a client
// certificate refused after the client's side of a TLS 1.3 handshake still fails the exchange.
Outcome handshake(const Identity& server_id, const Certificate& server_trusts, const Identity& client_id,
                  const Certificate& client_trusts, const std::string& server_name = "payments.shop.svc") {
  SslCtxPtr server_ctx = make_context(true, server_id, server_trusts);
  SslCtxPtr client_ctx = make_context(false, client_id, client_trusts);

  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  EXPECT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(listen(listener, 1), 0);
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const timeval timeout{5, 0};

  Outcome outcome;
  auto server = std::async(std::launch::async, [&] {
    const int fd = accept(listener, nullptr, nullptr);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    SslPtr ssl(SSL_new(server_ctx.get()));
    SSL_set_fd(ssl.get(), fd);
    char buf[8] = {};
    if (SSL_accept(ssl.get()) == 1 && SSL_read(ssl.get(), buf, 4) == 4 && SSL_write(ssl.get(), "pong", 4) == 4) {
      outcome.server_ok = true;
      if (X509* peer = SSL_get1_peer_certificate(ssl.get())) {
        outcome.client_spiffe_id_seen_by_server = Certificate(X509Ptr(peer)).spiffe_id();
      }
    } else {
      outcome.server_error = ssl_errors() + X509_verify_cert_error_string(SSL_get_verify_result(ssl.get()));
    }
    SSL_shutdown(ssl.get());
    close(fd);
  });

  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  SslPtr ssl(SSL_new(client_ctx.get()));
  SSL_set_fd(ssl.get(), fd);
  SSL_set_tlsext_host_name(ssl.get(), server_name.c_str());
  SSL_set1_host(ssl.get(), server_name.c_str());  // the client checks the server's DNS SAN
  char buf[8] = {};
  if (SSL_connect(ssl.get()) == 1 && SSL_write(ssl.get(), "ping", 4) == 4 && SSL_read(ssl.get(), buf, 4) == 4 &&
      std::string(buf, 4) == "pong") {
    outcome.client_ok = true;
  } else {
    outcome.client_error = ssl_errors() + X509_verify_cert_error_string(SSL_get_verify_result(ssl.get()));
  }
  close(fd);
  server.wait();
  close(listener);
  return outcome;
}

class MutualTls : public ::testing::Test {
 protected:
  static CertificateAuthority make_ca(const std::string& name, TimePoint at = now()) {
    return ::sso::testing::make_test_ca(at, {}, name, std::chrono::hours(24 * 3650));
  }
  static Identity issue(const CertificateAuthority& ca, const IdentityRequest& r, TimePoint at = now()) {
    return ::sso::testing::issue_or_die(ca, r, at);
  }

  CertificateAuthority ca_ = make_ca("cluster CA");
  Identity payments_ = issue(ca_, request_for("payments"));
};

TEST_F(MutualTls, SucceedsBetweenTwoIdentitiesOfTheSameCa) {
  const Identity checkout = issue(ca_, request_for("checkout"));
  const Outcome o = handshake(payments_, ca_.certificate(), checkout, ca_.certificate());
  EXPECT_TRUE(o.server_ok) << o.server_error;
  EXPECT_TRUE(o.client_ok) << o.client_error;
  EXPECT_EQ(o.client_spiffe_id_seen_by_server, "spiffe://cluster.local/ns/shop/sa/checkout");
}

TEST_F(MutualTls, RefusesAClientCertificateFromAnotherCa) {
  const auto stranger_ca = make_ca("stranger CA");
  const Identity intruder = issue(stranger_ca, request_for("checkout"));
  const Outcome o = handshake(payments_, ca_.certificate(), intruder, ca_.certificate());
  EXPECT_FALSE(o.server_ok);
  EXPECT_FALSE(o.client_ok);
  EXPECT_THAT(o.server_error, ::testing::HasSubstr("unable to get local issuer certificate"));
}

TEST_F(MutualTls, RefusesAnExpiredClientCertificate) {
  const auto old_ca = make_ca("cluster CA", now() - 5000h);
  IdentityRequest r = request_for("checkout");
  r.duration = 2000h;
  const Identity expired = issue(old_ca, r, now() - 3000h);  // ended 1000h ago
  const Outcome o = handshake(payments_, old_ca.certificate(), expired, ca_.certificate());
  EXPECT_FALSE(o.server_ok);
  EXPECT_FALSE(o.client_ok);
  EXPECT_THAT(o.server_error, ::testing::HasSubstr("certificate has expired"));
}

TEST_F(MutualTls, RefusesAServerOnlyCertificateUsedAsAClient) {
  const Identity server_only = issue(ca_, request_for("checkout", TlsMode::kServer));
  const Outcome o = handshake(payments_, ca_.certificate(), server_only, ca_.certificate());
  EXPECT_FALSE(o.server_ok);
  EXPECT_FALSE(o.client_ok);
  EXPECT_THAT(o.server_error, ::testing::HasSubstr("unsuitable certificate purpose"));
}

TEST_F(MutualTls, ClientRefusesAServerWhoseNamesDoNotMatch) {
  const Identity checkout = issue(ca_, request_for("checkout"));
  const Outcome o = handshake(payments_, ca_.certificate(), checkout, ca_.certificate(), "billing.shop.svc");
  EXPECT_FALSE(o.client_ok);
  EXPECT_THAT(o.client_error, ::testing::HasSubstr("hostname mismatch"));
}

}  // namespace
}  // namespace sso::pki
