// Fuzz target: everything that reads TLS material a user or the cluster hands us, as
// `cert inspect` and the controller read it: PEM files, Secret manifests (YAML/JSON), a CA
// loaded from a Secret, the re-issue decision over a Secret's tls.crt and tls.key, and a CA
// Secret's ca.crl read back as the revoked list.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cli/tls_material.hpp"
#include "pki/certificate_authority.hpp"
#include "pki/inspection.hpp"
#include "pki/renewal.hpp"
#include "pki/revocation.hpp"

namespace {

const sso::TimePoint kNow = std::chrono::system_clock::from_time_t(1798761600);

const sso::pki::CertificateAuthority& issuing_ca() {
  static const auto ca = [] {
    auto made = sso::pki::CertificateAuthority::create(sso::pki::CaOptions{}, kNow);
    if (!made.ok()) std::abort();
    return std::move(*made);
  }();
  return ca;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  auto material = sso::cli::read_tls_material(input);
  if (material.ok()) {
    (void)sso::pki::inspect_pem(material->certificates_pem, material->key_pem.reveal());
    (void)sso::pki::CertificateAuthority::load(material->certificates_pem, material->key_pem.reveal(), kNow);
  }

  // The same bytes as a Secret's tls.crt and tls.key, split where a key block starts.
  const size_t split = input.find("-----BEGIN PRIVATE KEY");
  const std::string_view cert = input.substr(0, split);
  const std::string_view key = split == std::string_view::npos ? input : input.substr(split);
  sso::pki::IdentityRequest request;
  request.dns_names = {"payments.shop.svc"};
  const std::vector<sso::pki::Certificate> trusted = {issuing_ca().certificate()};
  (void)sso::pki::decide_reissue(sso::pki::RenewalInput{cert, key, request, issuing_ca().certificate(), trusted, kNow});
  (void)sso::pki::read_crl(input, issuing_ca().certificate());
  return 0;
}
