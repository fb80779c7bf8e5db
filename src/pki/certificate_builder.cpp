#include "pki/certificate_builder.hpp"

#include <openssl/rand.h>

#include <ctime>

namespace sso::pki {

Result<Asn1IntegerPtr> random_serial() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return openssl_error("draw serial number");
  bytes[0] &= 0x7F;       // positive
  bytes[0] |= 0x01 << 6;  // never zero, and always 16 bytes long
  BignumPtr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (!bn) return openssl_error("draw serial number");
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial) return openssl_error("draw serial number");
  return serial;
}

const EVP_MD* signing_digest(const PrivateKey& signer) {
  const KeySpec spec = signer.spec();
  switch (spec.algorithm) {
    case KeyAlgorithm::kEd25519: return nullptr;
    case KeyAlgorithm::kECDSA:
      if (spec.size == 384) return EVP_sha384();
      if (spec.size == 521) return EVP_sha512();
      return EVP_sha256();
    case KeyAlgorithm::kRSA: return EVP_sha256();
  }
  return EVP_sha256();
}

Result<Asn1TimePtr> make_asn1_time(TimePoint t) {
  Asn1TimePtr out(ASN1_TIME_set(nullptr, std::chrono::system_clock::to_time_t(t)));
  if (!out) return openssl_error("encode time " + format_rfc3339(t));
  return out;
}

Status add_extension(X509& cert, const X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, const_cast<X509*>(issuer != nullptr ? issuer : &cert), &cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(&cert, ext.get(), -1) != 1)
    return openssl_error(std::string("add extension ") + OBJ_nid2sn(nid));
  return ok_status();
}

Status add_subject_alt_names(X509& cert, const std::vector<std::string>& dns_names,
                             const std::vector<std::string>& ip_addresses, const std::vector<std::string>& uris,
                             bool critical) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  auto push = [&](int type, const std::string& value) -> Status {
    GENERAL_NAME* name = GENERAL_NAME_new();
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    if (name == nullptr || ia5 == nullptr || ASN1_STRING_set(ia5, value.data(), static_cast<int>(value.size())) != 1) {
      GENERAL_NAME_free(name);
      ASN1_IA5STRING_free(ia5);
      return openssl_error("add subjectAltName");
    }
    GENERAL_NAME_set0_value(name, type, ia5);
    sk_GENERAL_NAME_push(names.get(), name);
    return ok_status();
  };
  for (const auto& dns : dns_names) SSO_RETURN_IF_ERROR(push(GEN_DNS, dns));
  for (const auto& ip : ip_addresses) {
    ASN1_OCTET_STRING* octets = a2i_IPADDRESS(ip.c_str());
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (octets == nullptr || name == nullptr) {
      ASN1_OCTET_STRING_free(octets);
      GENERAL_NAME_free(name);
      return openssl_error("add subjectAltName IP " + ip, ErrorCode::kInvalidArgument);
    }
    GENERAL_NAME_set0_value(name, GEN_IPADD, octets);
    sk_GENERAL_NAME_push(names.get(), name);
  }
  for (const auto& uri : uris) SSO_RETURN_IF_ERROR(push(GEN_URI, uri));
  if (X509_add1_ext_i2d(&cert, NID_subject_alt_name, names.get(), critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1)
    return openssl_error("add subjectAltName");
  return ok_status();
}

}  // namespace sso::pki
