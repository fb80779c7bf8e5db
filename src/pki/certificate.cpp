#include "pki/certificate.hpp"

#include <openssl/pem.h>

#include <arpa/inet.h>

#include <cstdio>

#include "pki/pem.hpp"

namespace sso::pki {
namespace {

std::string name_to_string(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return bio_contents(*bio);
}

std::string hex(const unsigned char* data, size_t len, bool upper_colon) {
  static constexpr char kLower[] = "0123456789abcdef";
  static constexpr char kUpper[] = "0123456789ABCDEF";
  const char* digits = upper_colon ? kUpper : kLower;
  std::string out;
  for (size_t i = 0; i < len; ++i) {
    if (upper_colon && i > 0) out += ':';
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0xF];
  }
  return out;
}

template <typename F>
void for_each_general_name(const X509& cert, F&& f) {
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(&cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) f(*sk_GENERAL_NAME_value(names.get(), i));
}

std::string ia5(const ASN1_IA5STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

}  // namespace

TimePoint to_time_point(const ASN1_TIME& t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(&t, &tm) != 1) return TimePoint{};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

Result<Certificate> Certificate::from_der(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const auto* end = p + der.size();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return openssl_error("parse certificate", ErrorCode::kInvalidArgument);
  if (p != end) return invalid_argument("parse certificate: trailing bytes after the certificate");
  return Certificate(std::move(cert));
}

Result<std::vector<Certificate>> Certificate::chain_from_pem(std::string_view pem) {
  SSO_ASSIGN_OR_RETURN(auto blocks, decode_pem_blocks(pem), "read certificates");
  std::vector<Certificate> certs;
  for (const auto& block : blocks) {
    if (block.label != "CERTIFICATE") continue;
    auto cert = from_der(block.der);
    if (!cert.ok()) return std::move(cert).error().add_context("read certificate " + std::to_string(certs.size() + 1));
    certs.push_back(std::move(*cert));
  }
  if (certs.empty()) return invalid_argument("read certificates: no PEM CERTIFICATE block in the input");
  return certs;
}

Result<Certificate> Certificate::from_pem(std::string_view pem) {
  SSO_ASSIGN_OR_RETURN(auto certs, chain_from_pem(pem));
  if (certs.size() != 1)
    return invalid_argument("read certificate: expected one certificate, found " + std::to_string(certs.size()));
  return std::move(certs.front());
}

Certificate::Certificate(const Certificate& other) {
  X509_up_ref(other.cert_.get());
  cert_.reset(other.cert_.get());
}

Certificate& Certificate::operator=(const Certificate& other) {
  if (this != &other) {
    X509_up_ref(other.cert_.get());
    cert_.reset(other.cert_.get());
  }
  return *this;
}

std::string Certificate::to_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(bio.get(), cert_.get()) != 1) std::abort();
  return bio_contents(*bio);
}

std::string Certificate::to_der() const {
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert_.get(), &der);
  if (len <= 0) std::abort();
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string Certificate::subject() const { return name_to_string(X509_get_subject_name(cert_.get())); }
std::string Certificate::issuer() const { return name_to_string(X509_get_issuer_name(cert_.get())); }

std::string Certificate::common_name() const {
  const X509_NAME* name = X509_get_subject_name(cert_.get());
  const int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

std::vector<std::string> Certificate::dns_names() const {
  std::vector<std::string> out;
  for_each_general_name(*cert_, [&](const GENERAL_NAME& n) {
    if (n.type == GEN_DNS) out.push_back(ia5(n.d.dNSName));
  });
  return out;
}

std::vector<std::string> Certificate::uris() const {
  std::vector<std::string> out;
  for_each_general_name(*cert_, [&](const GENERAL_NAME& n) {
    if (n.type == GEN_URI) out.push_back(ia5(n.d.uniformResourceIdentifier));
  });
  return out;
}

std::vector<std::string> Certificate::ip_addresses() const {
  std::vector<std::string> out;
  for_each_general_name(*cert_, [&](const GENERAL_NAME& n) {
    if (n.type != GEN_IPADD) return;
    const int len = ASN1_STRING_length(n.d.iPAddress);
    char text[INET6_ADDRSTRLEN] = {};
    if ((len == 4 && inet_ntop(AF_INET, ASN1_STRING_get0_data(n.d.iPAddress), text, sizeof text)) ||
        (len == 16 && inet_ntop(AF_INET6, ASN1_STRING_get0_data(n.d.iPAddress), text, sizeof text)))
      out.emplace_back(text);
  });
  return out;
}

std::string Certificate::spiffe_id() const {
  for (auto& uri : uris())
    if (uri.rfind("spiffe://", 0) == 0) return uri;
  return {};
}

std::string Certificate::serial_hex() const {
  BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert_.get()), nullptr));
  if (!bn) return {};
  char* h = BN_bn2hex(bn.get());
  std::string out(h);
  OPENSSL_free(h);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

TimePoint Certificate::not_before() const { return to_time_point(*X509_get0_notBefore(cert_.get())); }
TimePoint Certificate::not_after() const { return to_time_point(*X509_get0_notAfter(cert_.get())); }

bool Certificate::is_ca() const { return X509_check_ca(cert_.get()) != 0; }

bool Certificate::is_self_signed() const { return X509_self_signed(cert_.get(), 0) == 1; }

std::vector<std::string> Certificate::key_usages() const {
  static constexpr std::pair<uint32_t, const char*> kNames[] = {
      {KU_DIGITAL_SIGNATURE, "digitalSignature"},
      {KU_NON_REPUDIATION, "contentCommitment"},
      {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
      {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
      {KU_KEY_AGREEMENT, "keyAgreement"},
      {KU_KEY_CERT_SIGN, "keyCertSign"},
      {KU_CRL_SIGN, "cRLSign"},
      {KU_ENCIPHER_ONLY, "encipherOnly"},
      {KU_DECIPHER_ONLY, "decipherOnly"},
  };
  std::vector<std::string> out;
  if ((X509_get_extension_flags(cert_.get()) & EXFLAG_KUSAGE) == 0) return out;
  const uint32_t ku = X509_get_key_usage(cert_.get());
  for (const auto& [bit, name] : kNames)
    if (ku & bit) out.emplace_back(name);
  return out;
}

std::vector<std::string> Certificate::extended_key_usages() const {
  static constexpr std::pair<uint32_t, const char*> kNames[] = {
      {XKU_SSL_SERVER, "serverAuth"}, {XKU_SSL_CLIENT, "clientAuth"}, {XKU_SMIME, "emailProtection"},
      {XKU_CODE_SIGN, "codeSigning"}, {XKU_OCSP_SIGN, "OCSPSigning"}, {XKU_TIMESTAMP, "timeStamping"},
  };
  std::vector<std::string> out;
  if ((X509_get_extension_flags(cert_.get()) & EXFLAG_XKUSAGE) == 0) return out;
  const uint32_t xku = X509_get_extended_key_usage(cert_.get());
  for (const auto& [bit, name] : kNames)
    if (xku & bit) out.emplace_back(name);
  return out;
}

Result<KeySpec> Certificate::public_key_spec() const {
  const EVP_PKEY* key = X509_get0_pubkey(cert_.get());
  if (key == nullptr) return openssl_error("read certificate public key", ErrorCode::kInvalidArgument);
  return key_spec_of(*key);
}

std::string Certificate::public_key_der() const {
  unsigned char* der = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert_.get()), &der);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string Certificate::fingerprint_sha256() const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert_.get(), EVP_sha256(), md, &len) != 1) std::abort();
  return hex(md, len, true);
}

std::string Certificate::subject_key_id_hex() const {
  const ASN1_OCTET_STRING* id = X509_get0_subject_key_id(cert_.get());
  return id == nullptr ? std::string()
                       : hex(ASN1_STRING_get0_data(id), static_cast<size_t>(ASN1_STRING_length(id)), false);
}

std::string Certificate::authority_key_id_hex() const {
  const ASN1_OCTET_STRING* id = X509_get0_authority_key_id(cert_.get());
  return id == nullptr ? std::string()
                       : hex(ASN1_STRING_get0_data(id), static_cast<size_t>(ASN1_STRING_length(id)), false);
}

bool Certificate::matches_key(const PrivateKey& key) const {
  const EVP_PKEY* pub = X509_get0_pubkey(cert_.get());
  const bool match = pub != nullptr && EVP_PKEY_eq(pub, &key.native()) == 1;
  clear_openssl_errors();
  return match;
}

bool Certificate::is_signed_by(const Certificate& issuer) const {
  if (X509_check_issued(issuer.cert_.get(), cert_.get()) != X509_V_OK) return false;
  EVP_PKEY* pub = X509_get0_pubkey(issuer.cert_.get());
  const bool ok = pub != nullptr && X509_verify(cert_.get(), pub) == 1;
  clear_openssl_errors();
  return ok;
}

bool Certificate::operator==(const Certificate& other) const { return X509_cmp(cert_.get(), other.cert_.get()) == 0; }

std::string to_pem(const std::vector<Certificate>& certs) {
  std::string out;
  for (const auto& c : certs) out += c.to_pem();
  return out;
}

}  // namespace sso::pki
