#include "pki/revocation.hpp"

#include <openssl/pem.h>

#include <algorithm>
#include <cctype>

#include "pki/certificate_builder.hpp"
#include "pki/pem.hpp"

namespace sso::pki {
namespace {

constexpr std::pair<RevocationReason, std::string_view> kReasonNames[] = {
    {RevocationReason::kUnspecified, "unspecified"},
    {RevocationReason::kKeyCompromise, "keyCompromise"},
    {RevocationReason::kCACompromise, "caCompromise"},
    {RevocationReason::kAffiliationChanged, "affiliationChanged"},
    {RevocationReason::kSuperseded, "superseded"},
    {RevocationReason::kCessationOfOperation, "cessationOfOperation"},
    {RevocationReason::kCertificateHold, "certificateHold"},
    {RevocationReason::kPrivilegeWithdrawn, "privilegeWithdrawn"},
};

std::string normalise_serial(std::string_view serial) {
  std::string out;
  for (char c : serial)
    if (c != ':') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t first = out.find_first_not_of('0');
  return first == std::string::npos ? "0" : out.substr(first);
}

}  // namespace

Result<RevocationReason> parse_revocation_reason(std::string_view name) {
  for (const auto& [reason, text] : kReasonNames)
    if (text == name) return reason;
  std::string known;
  for (const auto& [reason, text] : kReasonNames) known += (known.empty() ? "" : ", ") + std::string(text);
  return invalid_argument("revocation reason \"" + std::string(name.substr(0, 40)) + "\" is not one of " + known);
}

std::string_view to_string(RevocationReason reason) {
  for (const auto& [r, text] : kReasonNames)
    if (r == reason) return text;
  return "unspecified";
}

Status RevocationList::revoke(std::string_view serial_hex, TimePoint at, RevocationReason reason) {
  const std::string serial = normalise_serial(serial_hex);
  if (serial.empty() || serial.size() > 40 ||
      !std::all_of(serial.begin(), serial.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
    return invalid_argument("revoke: serial \"" + std::string(serial_hex.substr(0, 60)) +
                            "\" is not a hex serial number");
  if (is_revoked(serial)) return ok_status();
  entries_.push_back(RevokedCertificate{serial, at, reason});
  return ok_status();
}

bool RevocationList::is_revoked(std::string_view serial_hex) const {
  const std::string serial = normalise_serial(serial_hex);
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const RevokedCertificate& e) { return e.serial_hex == serial; });
}

Result<RevocationList> read_crl(std::string_view crl_pem, const Certificate& issuer) {
  SSO_ASSIGN_OR_RETURN(auto blocks, decode_pem_blocks(crl_pem), "read CRL");
  if (blocks.size() != 1 || blocks[0].label != "X509 CRL")
    return invalid_argument("read CRL: want one PEM block labelled X509 CRL, found " + std::to_string(blocks.size()) +
                            " block(s)" +
                            (blocks.empty() ? "" : ", the first labelled " + blocks[0].label.substr(0, 40)));
  const auto* der = reinterpret_cast<const unsigned char*>(blocks[0].der.data());
  X509CrlPtr crl(d2i_X509_CRL(nullptr, &der, static_cast<long>(blocks[0].der.size())));
  if (!crl) return openssl_error("read CRL: not a DER X.509 CRL", ErrorCode::kInvalidArgument);
  if (X509_CRL_verify(crl.get(), X509_get0_pubkey(&issuer.native())) != 1)
    return openssl_error("read CRL: not signed by " + issuer.subject(), ErrorCode::kInvalidArgument);
  RevocationList list;
  const STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    const X509_REVOKED* entry = sk_X509_REVOKED_value(revoked, i);
    BignumPtr bn(ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(entry), nullptr));
    if (!bn) return openssl_error("read CRL: entry " + std::to_string(i) + ": serial");
    OpenSslStringPtr hex(BN_bn2hex(bn.get()));
    if (!hex) return openssl_error("read CRL: entry " + std::to_string(i) + ": serial");
    RevocationReason reason = RevocationReason::kUnspecified;
    int critical = 0;
    Asn1EnumeratedPtr code(
        static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, &critical, nullptr)));
    if (code) {
      const long value = ASN1_ENUMERATED_get(code.get());
      for (const auto& [known, name] : kReasonNames)
        if (static_cast<long>(known) == value) reason = known;
    }
    SSO_RETURN_IF_ERROR(list.revoke(hex.get(), to_time_point(*X509_REVOKED_get0_revocationDate(entry)), reason),
                        "read CRL: entry " + std::to_string(i));
  }
  return list;
}

Result<std::string> sign_crl(const CertificateAuthority& ca, const RevocationList& revoked, uint64_t crl_number,
                             TimePoint this_update, TimePoint next_update) {
  if (next_update <= this_update) return invalid_argument("sign CRL: nextUpdate must be after thisUpdate");
  X509CrlPtr crl(X509_CRL_new());
  if (!crl || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(&ca.certificate().native())) != 1)
    return openssl_error("sign CRL");
  SSO_ASSIGN_OR_RETURN(auto last, make_asn1_time(this_update), "sign CRL");
  SSO_ASSIGN_OR_RETURN(auto next, make_asn1_time(next_update), "sign CRL");
  if (X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 || X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1)
    return openssl_error("sign CRL");

  for (const auto& entry : revoked.entries()) {
    X509RevokedPtr rev(X509_REVOKED_new());
    BIGNUM* raw_bn = nullptr;
    if (BN_hex2bn(&raw_bn, entry.serial_hex.c_str()) == 0) return openssl_error("sign CRL: serial " + entry.serial_hex);
    BignumPtr bn(raw_bn);
    Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    SSO_ASSIGN_OR_RETURN(auto when, make_asn1_time(entry.revoked_at), "sign CRL");
    if (!rev || !serial || X509_REVOKED_set_serialNumber(rev.get(), serial.get()) != 1 ||
        X509_REVOKED_set_revocationDate(rev.get(), when.get()) != 1)
      return openssl_error("sign CRL: entry " + entry.serial_hex);
    if (entry.reason != RevocationReason::kUnspecified) {
      Asn1EnumeratedPtr code(ASN1_ENUMERATED_new());
      if (!code || ASN1_ENUMERATED_set(code.get(), static_cast<long>(entry.reason)) != 1 ||
          X509_REVOKED_add1_ext_i2d(rev.get(), NID_crl_reason, code.get(), 0, X509V3_ADD_DEFAULT) != 1)
        return openssl_error("sign CRL: reason of " + entry.serial_hex);
    }
    if (X509_CRL_add0_revoked(crl.get(), rev.get()) != 1) return openssl_error("sign CRL: add " + entry.serial_hex);
    (void)rev.release();  // owned by the CRL now
  }

  Asn1IntegerPtr number(ASN1_INTEGER_new());
  if (!number || ASN1_INTEGER_set_uint64(number.get(), crl_number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, X509V3_ADD_DEFAULT) != 1)
    return openssl_error("sign CRL: CRL number");
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, &ca.certificate().native(), nullptr, nullptr, crl.get(), 0);
  X509ExtensionPtr akid(X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  if (!akid || X509_CRL_add_ext(crl.get(), akid.get(), -1) != 1) return openssl_error("sign CRL: authority key id");
  if (X509_CRL_sort(crl.get()) != 1) return openssl_error("sign CRL: sort");
  if (X509_CRL_sign(crl.get(), &ca.key().native(), signing_digest(ca.key())) <= 0) return openssl_error("sign CRL");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509_CRL(bio.get(), crl.get()) != 1) return openssl_error("sign CRL: encode");
  return bio_contents(*bio);
}

}  // namespace sso::pki
