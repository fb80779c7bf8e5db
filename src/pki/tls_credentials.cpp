#include "pki/tls_credentials.hpp"

#include <openssl/err.h>

#include <vector>

#include "pki/certificate.hpp"
#include "pki/openssl_ptr.hpp"
#include "pki/private_key.hpp"

namespace sso::pki {
namespace {

// Mozilla's "intermediate" TLS 1.2 suites (ssl-config.mozilla.org, guidelines v5.7) less the
// finite-field DHE ones: forward secrecy through ECDHE, AEAD ciphers only.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
// Every TLS 1.3 suite is an AEAD; these are OpenSSL's defaults, written out so that a
// system openssl.cnf cannot widen or narrow them under us.
constexpr const char* kTls13Ciphersuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:P-256:P-384";

int select_certificate(SSL* ssl, void* arg) {
  const auto* credentials = static_cast<const ServingCredentials*>(arg);
  return credentials->use_on(*ssl) ? 1 : 0;
}

}  // namespace

struct ServingCredentials::State {
  Certificate leaf;
  X509StackPtr intermediates;
  PrivateKey key;
  std::string fingerprint;
};

ServingCredentials::ServingCredentials() = default;
ServingCredentials::~ServingCredentials() = default;

Status ServingCredentials::load(std::string_view chain_pem, std::string_view key_pem) {
  auto chain = Certificate::chain_from_pem(chain_pem);
  if (!chain.ok()) return std::move(chain).error().add_context("tls.crt");
  auto key = PrivateKey::from_pem(key_pem);
  if (!key.ok()) return std::move(key).error().add_context("tls.key");
  const Certificate& leaf = chain->front();
  if (!leaf.matches_key(*key)) {
    clear_openssl_errors();
    return invalid_argument("the private key does not belong to the first certificate in tls.crt")
        .add_context("tls.key");
  }
  X509StackPtr intermediates(sk_X509_new_null());
  if (!intermediates) return openssl_error("tls.crt: hold the intermediates");
  for (size_t i = 1; i < chain->size(); ++i) {
    X509& cert = (*chain)[i].native();
    if (X509_up_ref(&cert) != 1) return openssl_error("tls.crt: hold the intermediates");
    if (sk_X509_push(intermediates.get(), &cert) <= 0) {
      X509_free(&cert);
      return openssl_error("tls.crt: hold the intermediates");
    }
  }
  auto state =
      std::make_shared<const State>(State{leaf, std::move(intermediates), std::move(*key), leaf.fingerprint_sha256()});
  std::lock_guard lock(mu_);
  state_ = std::move(state);
  return ok_status();
}

std::shared_ptr<const ServingCredentials::State> ServingCredentials::current() const {
  std::lock_guard lock(mu_);
  return state_;
}

bool ServingCredentials::loaded() const { return current() != nullptr; }

std::string ServingCredentials::leaf_fingerprint() const {
  const auto state = current();
  return state ? state->fingerprint : std::string();
}

bool ServingCredentials::use_on(SSL& ssl) const {
  const auto state = current();
  if (!state) return false;
  // Takes its own references to the leaf, key and each intermediate: the connection keeps
  // them after a later load() drops ours.
  if (SSL_use_cert_and_key(&ssl, &state->leaf.native(), &state->key.native(), state->intermediates.get(), 1) != 1) {
    clear_openssl_errors();
    return false;
  }
  return true;
}

Status configure_server_context(SSL_CTX& ctx, const ServingCredentials& credentials) {
  if (SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(&ctx, TLS1_3_VERSION) != 1) {
    return openssl_error("set TLS versions");
  }
  if (SSL_CTX_set_cipher_list(&ctx, kTls12Ciphers) != 1) return openssl_error("set TLS 1.2 ciphers");
  if (SSL_CTX_set_ciphersuites(&ctx, kTls13Ciphersuites) != 1) return openssl_error("set TLS 1.3 ciphersuites");
  if (SSL_CTX_set1_groups_list(&ctx, kGroups) != 1) return openssl_error("set key exchange groups");
  SSL_CTX_set_options(&ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // The certificate is chosen when a ClientHello arrives, so a load() between handshakes is
  // seen by the next one without rebuilding the context.
  SSL_CTX_set_cert_cb(&ctx, select_certificate, const_cast<ServingCredentials*>(&credentials));
  return ok_status();
}

}  // namespace sso::pki
