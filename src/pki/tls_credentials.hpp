#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace sso::pki {

// The certificate a TLS server presents, swapped whole while the server runs: a rotated
// Secret is picked up by the next handshake, as controller-runtime's certwatcher
// (pkg/certwatcher) hands tls.Config.GetCertificate the latest pair. Connections already
// open keep the certificate they were handshaken with. Thread-safe.
class ServingCredentials {
 public:
  ServingCredentials();
  ~ServingCredentials();
  ServingCredentials(const ServingCredentials&) = delete;
  ServingCredentials& operator=(const ServingCredentials&) = delete;

  // Replaces the current identity with `chain_pem` (leaf first, then any intermediates; other
  // blocks are skipped) and `key_pem` (the leaf's private key), as a kubernetes.io/tls
  // Secret's tls.crt and tls.key hold them. Refuses (kInvalidArgument, naming tls.crt or
  // tls.key) unreadable input and a key that does not belong to the leaf; keeps the identity
  // it had then. An expired leaf is accepted: serving it is the caller's choice, and
  // refusing would leave nothing to serve while the new one is being issued. Error text
  // never quotes key bytes.
  [[nodiscard]] Status load(std::string_view chain_pem, std::string_view key_pem);

  bool loaded() const;
  // The leaf's SHA-256 fingerprint, "AB:CD:...", as openssl x509 -fingerprint prints it;
  // empty when nothing is loaded.
  std::string leaf_fingerprint() const;

  // Installs the current certificate, intermediates and key on one connection, for an
  // SSL_CTX certificate callback. false when nothing is loaded (the handshake then fails).
  bool use_on(SSL& ssl) const;

 private:
  struct State;
  std::shared_ptr<const State> current() const;

  mutable std::mutex mu_;
  std::shared_ptr<const State> state_;  // swapped whole under mu_, read as a snapshot
};

// Configures a server SSL_CTX as the admission webhook serves: TLS 1.2 and 1.3 only; TLS 1.2
// restricted to ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 (Mozilla's
// "intermediate" list without its DHE suites); the server's cipher order; no renegotiation; no compression; and the
// certificate taken from `credentials` at each handshake (SSL_CTX_set_cert_cb). `credentials` must outlive every SSL
// made from `ctx`.
[[nodiscard]] Status configure_server_context(SSL_CTX& ctx, const ServingCredentials& credentials);

}  // namespace sso::pki
