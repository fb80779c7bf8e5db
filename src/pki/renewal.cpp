#include "pki/renewal.hpp"

#include <algorithm>
#include <functional>

namespace sso::pki {
namespace {

// What the checks look at, parsed once.
struct Gathered {
  const RenewalInput& input;
  std::optional<Certificate> leaf;
  std::optional<PrivateKey> key;
};

using Check = std::function<std::optional<ReissueDecision>(const Gathered&)>;

std::string list(std::vector<std::string> items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + "]";
}

std::vector<std::string> sorted_unique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

std::optional<ReissueDecision> check_missing(const Gathered& g) {
  const auto empty = [](const std::optional<std::string_view>& s) { return !s || s->empty(); };
  if (empty(g.input.certificate_pem) && empty(g.input.key_pem))
    return ReissueDecision{ReissueReason::kMissingData, "the Secret holds no certificate and no key"};
  if (empty(g.input.certificate_pem))
    return ReissueDecision{ReissueReason::kMissingData, "the Secret holds no certificate (tls.crt)"};
  if (empty(g.input.key_pem)) return ReissueDecision{ReissueReason::kMissingData, "the Secret holds no key (tls.key)"};
  return std::nullopt;
}

std::optional<ReissueDecision> check_parses(const Gathered& g) {
  if (!g.leaf) return ReissueDecision{ReissueReason::kInvalidData, "tls.crt does not hold a valid PEM certificate"};
  if (!g.key) return ReissueDecision{ReissueReason::kInvalidData, "tls.key does not hold a valid PEM private key"};
  return std::nullopt;
}

std::optional<ReissueDecision> check_key_matches(const Gathered& g) {
  if (!g.leaf->matches_key(*g.key))
    return ReissueDecision{ReissueReason::kKeyMismatch, "the private key in tls.key is not the certificate's key"};
  return std::nullopt;
}

std::optional<ReissueDecision> check_issuer(const Gathered& g) {
  if (g.leaf->is_signed_by(g.input.issuing_ca)) return std::nullopt;
  for (const auto& ca : g.input.trusted_cas)
    if (!(ca == g.input.issuing_ca) && g.leaf->is_signed_by(ca))
      return ReissueDecision{ReissueReason::kCARotated, "the certificate was signed by the previous CA \"" +
                                                            ca.subject() + "\"; the CA now issuing is \"" +
                                                            g.input.issuing_ca.subject() + "\""};
  return ReissueDecision{ReissueReason::kIssuerMismatch, "the certificate was not signed by the CA \"" +
                                                             g.input.issuing_ca.subject() + "\" (its issuer is \"" +
                                                             g.leaf->issuer() + "\")"};
}

std::optional<ReissueDecision> check_identity(const Gathered& g) {
  const IdentityRequest& want = g.input.request;
  if (g.leaf->common_name() != want.common_name)
    return ReissueDecision{
        ReissueReason::kIdentityChanged,
        "the common name \"" + g.leaf->common_name() + "\" differs from the requested \"" + want.common_name + "\""};
  const auto have_dns = sorted_unique(g.leaf->dns_names());
  const auto want_dns = sorted_unique(want.dns_names);
  if (have_dns != want_dns)
    return ReissueDecision{ReissueReason::kIdentityChanged,
                           "the DNS names " + list(have_dns) + " differ from the requested " + list(want_dns)};
  const auto have_ips = sorted_unique(g.leaf->ip_addresses());
  const auto want_ips = sorted_unique(want.ip_addresses);
  if (have_ips != want_ips)
    return ReissueDecision{ReissueReason::kIdentityChanged,
                           "the IP addresses " + list(have_ips) + " differ from the requested " + list(want_ips)};
  const auto have_uris = sorted_unique(g.leaf->uris());
  const auto want_uris = want.spiffe_id.empty() ? std::vector<std::string>{} : std::vector<std::string>{want.spiffe_id};
  if (have_uris != want_uris)
    return ReissueDecision{
        ReissueReason::kIdentityChanged,
        "the URI SANs " + list(have_uris) + " differ from the requested SPIFFE ID " + list(want_uris)};
  return std::nullopt;
}

std::optional<ReissueDecision> check_usages(const Gathered& g) {
  const auto have_eku = sorted_unique(g.leaf->extended_key_usages());
  const auto want_eku = sorted_unique(extended_key_usages_for(g.input.request.mode));
  if (have_eku != want_eku)
    return ReissueDecision{ReissueReason::kUsageChanged,
                           "the extended key usages " + list(have_eku) + " differ from those of TLS mode " +
                               std::string(to_string(g.input.request.mode)) + " " + list(want_eku)};
  const auto have_ku = sorted_unique(g.leaf->key_usages());
  const auto want_ku = sorted_unique(key_usages_for(g.input.request.key));
  if (have_ku != want_ku)
    return ReissueDecision{ReissueReason::kUsageChanged,
                           "the key usages " + list(have_ku) + " differ from the expected " + list(want_ku)};
  return std::nullopt;
}

std::optional<ReissueDecision> check_key_algorithm(const Gathered& g) {
  if (g.key->spec() != g.input.request.key)
    return ReissueDecision{
        ReissueReason::kKeyAlgorithmChanged,
        "the key is " + describe(g.key->spec()) + ", the request asks for " + describe(g.input.request.key)};
  return std::nullopt;
}

std::optional<ReissueDecision> check_expiry(const Gathered& g) {
  if (g.leaf->not_after() <= g.input.now)
    return ReissueDecision{ReissueReason::kExpired,
                           "the certificate expired at " + format_rfc3339(g.leaf->not_after())};
  const TimePoint renew_at = renewal_time(*g.leaf, g.input.request.renew_before);
  if (renew_at <= g.input.now)
    return ReissueDecision{ReissueReason::kRenewalDue, "the renewal time " + format_rfc3339(renew_at) +
                                                           " has passed (the certificate expires at " +
                                                           format_rfc3339(g.leaf->not_after()) + ")"};
  return std::nullopt;
}

}  // namespace

std::string_view to_string(ReissueReason reason) {
  switch (reason) {
    case ReissueReason::kMissingData: return "MissingData";
    case ReissueReason::kInvalidData: return "InvalidData";
    case ReissueReason::kKeyMismatch: return "KeyMismatch";
    case ReissueReason::kIssuerMismatch: return "IssuerMismatch";
    case ReissueReason::kCARotated: return "CARotated";
    case ReissueReason::kIdentityChanged: return "IdentityChanged";
    case ReissueReason::kUsageChanged: return "UsageChanged";
    case ReissueReason::kKeyAlgorithmChanged: return "KeyAlgorithmChanged";
    case ReissueReason::kExpired: return "Expired";
    case ReissueReason::kRenewalDue: return "RenewalDue";
  }
  return "Unknown";
}

std::optional<ReissueDecision> decide_reissue(const RenewalInput& input) {
  Gathered g{input, std::nullopt, std::nullopt};
  if (input.certificate_pem && !input.certificate_pem->empty()) {
    // tls.crt holds the chain; the leaf comes first.
    if (auto chain = Certificate::chain_from_pem(*input.certificate_pem); chain.ok()) g.leaf = chain->front();
  }
  if (input.key_pem && !input.key_pem->empty()) {
    if (auto key = PrivateKey::from_pem(*input.key_pem); key.ok()) g.key = std::move(*key);
  }
  static const Check kChecks[] = {check_missing,  check_parses, check_key_matches,   check_issuer,
                                  check_identity, check_usages, check_key_algorithm, check_expiry};
  for (const auto& check : kChecks)
    if (auto decision = check(g)) return decision;
  return std::nullopt;
}

TimePoint renewal_time(TimePoint not_before, TimePoint not_after, std::optional<std::chrono::seconds> renew_before) {
  const auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(not_after - not_before);
  std::chrono::seconds before = lifetime / 3;
  if (renew_before && *renew_before < lifetime) before = *renew_before;
  return std::chrono::time_point_cast<std::chrono::seconds>(not_after - before);
}

TimePoint renewal_time(const Certificate& cert, std::optional<std::chrono::seconds> renew_before) {
  return renewal_time(cert.not_before(), cert.not_after(), renew_before);
}

}  // namespace sso::pki
