#include "pki/inspection.hpp"

#include "pki/certificate.hpp"
#include "pki/pem.hpp"
#include "pki/renewal.hpp"

namespace sso::pki {

Result<Inspection> inspect_pem(std::string_view certificates_pem, std::string_view key_pem) {
  SSO_ASSIGN_OR_RETURN(auto chain, Certificate::chain_from_pem(certificates_pem), "inspect");
  const Certificate& leaf = chain.front();
  Inspection out;
  out.subject = leaf.subject();
  out.common_name = leaf.common_name();
  out.dns_names = leaf.dns_names();
  out.uris = leaf.uris();
  out.spiffe_id = leaf.spiffe_id();
  out.issuer = leaf.issuer();
  out.serial_hex = leaf.serial_hex();
  out.not_before = leaf.not_before();
  out.not_after = leaf.not_after();
  out.renewal_time = renewal_time(leaf, std::nullopt);
  out.fingerprint_sha256 = leaf.fingerprint_sha256();
  auto spec = leaf.public_key_spec();
  out.public_key = spec.ok() ? describe(*spec) : "unsupported (" + spec.error().message() + ")";
  out.key_usages = leaf.key_usages();
  out.extended_key_usages = leaf.extended_key_usages();
  out.is_ca = leaf.is_ca();
  out.chain_length = chain.size();

  // The key may sit beside the certificates (a combined PEM file) or come separately.
  std::string_view key_source = key_pem;
  if (key_source.empty()) {
    SSO_ASSIGN_OR_RETURN(auto blocks, decode_pem_blocks(certificates_pem), "inspect");
    for (const auto& b : blocks)
      if (is_private_key_label(b.label)) key_source = certificates_pem;
  }
  if (!key_source.empty()) {
    SSO_ASSIGN_OR_RETURN(auto key, PrivateKey::from_pem(key_source), "inspect");
    out.key_matches = leaf.matches_key(key);
    out.key_algorithm = describe(key.spec());
  }
  return out;
}

}  // namespace sso::pki
