#include "pki/certificate_authority.hpp"

#include <algorithm>

#include "pki/certificate_builder.hpp"

namespace sso::pki {
namespace {

Result<X509NamePtr> make_name(const std::string& common_name, const std::string& organization) {
  X509NamePtr name(X509_NAME_new());
  auto add = [&](const char* field, const std::string& value) -> Status {
    if (value.empty()) return ok_status();
    if (X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.data()), static_cast<int>(value.size()),
                                   -1, 0) != 1)
      return openssl_error(std::string("set subject ") + field, ErrorCode::kInvalidArgument);
    return ok_status();
  };
  SSO_RETURN_IF_ERROR(add("O", organization));
  SSO_RETURN_IF_ERROR(add("CN", common_name));
  return name;
}

Status set_validity(X509& cert, TimePoint not_before, TimePoint not_after) {
  SSO_ASSIGN_OR_RETURN(auto nb, make_asn1_time(not_before));
  SSO_ASSIGN_OR_RETURN(auto na, make_asn1_time(not_after));
  if (X509_set1_notBefore(&cert, nb.get()) != 1 || X509_set1_notAfter(&cert, na.get()) != 1)
    return openssl_error("set validity");
  return ok_status();
}

Status sign(X509& cert, const PrivateKey& signer) {
  if (X509_sign(&cert, &signer.native(), signing_digest(signer)) <= 0) return openssl_error("sign certificate");
  return ok_status();
}

}  // namespace

Result<CertificateAuthority> CertificateAuthority::create(const CaOptions& options, TimePoint now) {
  if (options.validity < kMinimumDuration)
    return invalid_argument("create CA: validity " + format_duration(options.validity) + " is shorter than " +
                            format_duration(kMinimumDuration));
  if (options.common_name.empty() || options.common_name.size() > 64)
    return invalid_argument("create CA: common name must have 1 to 64 bytes");
  SSO_ASSIGN_OR_RETURN(auto key, PrivateKey::generate(options.key), "create CA");
  X509Ptr cert(X509_new());
  SSO_ASSIGN_OR_RETURN(auto serial, random_serial(), "create CA");
  SSO_ASSIGN_OR_RETURN(auto name, make_name(options.common_name, options.organization), "create CA");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 || X509_set_serialNumber(cert.get(), serial.get()) != 1 ||
      X509_set_subject_name(cert.get(), name.get()) != 1 || X509_set_issuer_name(cert.get(), name.get()) != 1 ||
      X509_set_pubkey(cert.get(), &key.native()) != 1)
    return openssl_error("create CA");
  SSO_RETURN_IF_ERROR(set_validity(*cert, now - kClockSkewAllowance, now + options.validity), "create CA");
  SSO_RETURN_IF_ERROR(add_extension(*cert, nullptr, NID_basic_constraints, "critical,CA:TRUE"), "create CA");
  SSO_RETURN_IF_ERROR(add_extension(*cert, nullptr, NID_key_usage, "critical,keyCertSign,cRLSign"), "create CA");
  SSO_RETURN_IF_ERROR(add_extension(*cert, nullptr, NID_subject_key_identifier, "hash"), "create CA");
  SSO_RETURN_IF_ERROR(add_extension(*cert, cert.get(), NID_authority_key_identifier, "keyid:always"), "create CA");
  SSO_RETURN_IF_ERROR(sign(*cert, key), "create CA");
  std::vector<Certificate> chain;
  chain.emplace_back(std::move(cert));
  return CertificateAuthority(std::move(chain), std::move(key));
}

Result<CertificateAuthority> CertificateAuthority::load(std::string_view cert_pem, std::string_view key_pem,
                                                        TimePoint now) {
  auto chain = Certificate::chain_from_pem(cert_pem);
  if (!chain.ok()) return std::move(chain).error().add_context("load CA: tls.crt");
  auto key = PrivateKey::from_pem(key_pem);
  if (!key.ok()) return std::move(key).error().add_context("load CA: tls.key");
  const Certificate& ca = chain->front();
  const std::string who = "load CA \"" + ca.subject() + "\"";
  if (!ca.is_ca())
    return failed_precondition(who + ": the certificate is not a CA (basicConstraints CA:TRUE is missing)");
  const auto usages = ca.key_usages();
  if (!usages.empty() && std::find(usages.begin(), usages.end(), "keyCertSign") == usages.end())
    return failed_precondition(who + ": keyUsage does not allow keyCertSign");
  if (!ca.matches_key(*key)) return failed_precondition(who + ": tls.key does not match the certificate in tls.crt");
  if (ca.not_after() <= now) return failed_precondition(who + ": the CA expired at " + format_rfc3339(ca.not_after()));
  if (ca.not_before() > now)
    return failed_precondition(who + ": the CA is not valid before " + format_rfc3339(ca.not_before()));
  return CertificateAuthority(std::move(*chain), std::move(*key));
}

Result<Identity> CertificateAuthority::issue(const IdentityRequest& request, TimePoint now,
                                             const std::optional<PrivateKey>& reuse_key) const {
  SSO_RETURN_IF_ERROR(validate(request), "issue certificate");
  const Certificate& ca = certificate();
  if (ca.not_after() <= now)
    return failed_precondition("issue certificate: CA \"" + ca.subject() + "\" expired at " +
                               format_rfc3339(ca.not_after()));

  std::optional<PrivateKey> key = reuse_key;
  if (key && key->spec() != request.key)
    return invalid_argument("issue certificate: the key to reuse is " + describe(key->spec()) +
                            ", the request asks for " + describe(request.key));
  if (!key) {
    SSO_ASSIGN_OR_RETURN(auto fresh, PrivateKey::generate(request.key), "issue certificate");
    key.emplace(std::move(fresh));
  }

  // Duplicate names would make the identity look different from the request on re-read.
  std::vector<std::string> dns_names;
  for (const auto& n : request.dns_names)
    if (std::find(dns_names.begin(), dns_names.end(), n) == dns_names.end()) dns_names.push_back(n);

  X509Ptr cert(X509_new());
  SSO_ASSIGN_OR_RETURN(auto serial, random_serial(), "issue certificate");
  SSO_ASSIGN_OR_RETURN(auto subject, make_name(request.common_name, ""), "issue certificate");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 || X509_set_serialNumber(cert.get(), serial.get()) != 1 ||
      X509_set_subject_name(cert.get(), subject.get()) != 1 ||
      X509_set_issuer_name(cert.get(), X509_get_subject_name(&ca.native())) != 1 ||
      X509_set_pubkey(cert.get(), &key->native()) != 1)
    return openssl_error("issue certificate");
  const TimePoint not_before = std::max(now - kClockSkewAllowance, ca.not_before());
  const TimePoint not_after = std::min(now + request.duration, ca.not_after());
  SSO_RETURN_IF_ERROR(set_validity(*cert, not_before, not_after), "issue certificate");

  auto join = [](const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
    return out;
  };
  SSO_RETURN_IF_ERROR(add_extension(*cert, &ca.native(), NID_basic_constraints, "critical,CA:FALSE"),
                      "issue certificate");
  SSO_RETURN_IF_ERROR(
      add_extension(*cert, &ca.native(), NID_key_usage, "critical," + join(key_usages_for(request.key))),
      "issue certificate");
  SSO_RETURN_IF_ERROR(
      add_extension(*cert, &ca.native(), NID_ext_key_usage, join(extended_key_usages_for(request.mode))),
      "issue certificate");
  std::vector<std::string> uris;
  if (!request.spiffe_id.empty()) uris.push_back(request.spiffe_id);
  SSO_RETURN_IF_ERROR(add_subject_alt_names(*cert, dns_names, request.ip_addresses, uris, request.common_name.empty()),
                      "issue certificate");
  SSO_RETURN_IF_ERROR(add_extension(*cert, &ca.native(), NID_subject_key_identifier, "hash"), "issue certificate");
  SSO_RETURN_IF_ERROR(add_extension(*cert, &ca.native(), NID_authority_key_identifier, "keyid:always"),
                      "issue certificate");
  SSO_RETURN_IF_ERROR(sign(*cert, key_), "issue certificate");

  Identity identity{std::move(*key), {}};
  identity.chain.emplace_back(std::move(cert));
  // A leaf from an intermediate carries the intermediates; the root stays in ca.crt only.
  for (const auto& c : chain_)
    if (!c.is_self_signed()) identity.chain.push_back(c);
  return identity;
}

}  // namespace sso::pki
