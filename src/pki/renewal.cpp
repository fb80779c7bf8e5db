#include "pki/renewal.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>

#include "pki/openssl_ptr.hpp"

namespace sso::pki {
namespace {

// What the checks look at, each part read once.
using Gathered = HeldRenewalInput;

// Valid once check_parses has passed.
const Certificate& leaf_of(const Gathered& g) { return g.held.chain.front(); }

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
  if (!g.held.has_certificate && !g.held.has_key)
    return ReissueDecision{ReissueReason::kMissingData, "the Secret holds no certificate and no key"};
  if (!g.held.has_certificate)
    return ReissueDecision{ReissueReason::kMissingData, "the Secret holds no certificate (tls.crt)"};
  if (!g.held.has_key) return ReissueDecision{ReissueReason::kMissingData, "the Secret holds no key (tls.key)"};
  return std::nullopt;
}

std::optional<ReissueDecision> check_parses(const Gathered& g) {
  if (g.held.chain.empty())
    return ReissueDecision{ReissueReason::kInvalidData, "tls.crt does not hold a valid PEM certificate"};
  if (!g.held.key.parses)
    return ReissueDecision{ReissueReason::kInvalidData, "tls.key does not hold a valid PEM private key"};
  return std::nullopt;
}

std::optional<ReissueDecision> check_key_matches(const Gathered& g) {
  if (!g.held.key.matches_leaf)
    return ReissueDecision{ReissueReason::kKeyMismatch, "the private key in tls.key is not the certificate's key"};
  return std::nullopt;
}

std::optional<ReissueDecision> check_not_revoked(const Gathered& g) {
  if (g.revoked && g.revoked->is_revoked(leaf_of(g).serial_hex()) && leaf_of(g).is_signed_by(g.issuing_ca))
    return ReissueDecision{ReissueReason::kRevoked, "the certificate " + leaf_of(g).serial_hex() +
                                                        " is on the CRL of the CA \"" + g.issuing_ca.subject() + "\""};
  return std::nullopt;
}

std::optional<ReissueDecision> check_issuer(const Gathered& g) {
  if (leaf_of(g).is_signed_by(g.issuing_ca)) return std::nullopt;
  for (const auto& ca : g.trusted_cas)
    if (!(ca == g.issuing_ca) && leaf_of(g).is_signed_by(ca))
      return ReissueDecision{ReissueReason::kCARotated, "the certificate was signed by the previous CA \"" +
                                                            ca.subject() + "\"; the CA now issuing is \"" +
                                                            g.issuing_ca.subject() + "\""};
  return ReissueDecision{ReissueReason::kIssuerMismatch, "the certificate was not signed by the CA \"" +
                                                             g.issuing_ca.subject() + "\" (its issuer is \"" +
                                                             leaf_of(g).issuer() + "\")"};
}

std::optional<ReissueDecision> check_identity(const Gathered& g) {
  const IdentityRequest& want = g.request;
  const Certificate& leaf = leaf_of(g);
  if (leaf.common_name() != want.common_name)
    return ReissueDecision{
        ReissueReason::kIdentityChanged,
        "the common name \"" + leaf.common_name() + "\" differs from the requested \"" + want.common_name + "\""};
  const auto have_dns = sorted_unique(leaf.dns_names());
  const auto want_dns = sorted_unique(want.dns_names);
  if (have_dns != want_dns)
    return ReissueDecision{ReissueReason::kIdentityChanged,
                           "the DNS names " + list(have_dns) + " differ from the requested " + list(want_dns)};
  const auto have_ips = sorted_unique(leaf.ip_addresses());
  const auto want_ips = sorted_unique(want.ip_addresses);
  if (have_ips != want_ips)
    return ReissueDecision{ReissueReason::kIdentityChanged,
                           "the IP addresses " + list(have_ips) + " differ from the requested " + list(want_ips)};
  const auto have_uris = sorted_unique(leaf.uris());
  const auto want_uris = want.spiffe_id.empty() ? std::vector<std::string>{} : std::vector<std::string>{want.spiffe_id};
  if (have_uris != want_uris)
    return ReissueDecision{
        ReissueReason::kIdentityChanged,
        "the URI SANs " + list(have_uris) + " differ from the requested SPIFFE ID " + list(want_uris)};
  return std::nullopt;
}

std::optional<ReissueDecision> check_usages(const Gathered& g) {
  const auto have_eku = sorted_unique(leaf_of(g).extended_key_usages());
  const auto want_eku = sorted_unique(extended_key_usages_for(g.request.mode));
  if (have_eku != want_eku)
    return ReissueDecision{ReissueReason::kUsageChanged,
                           "the extended key usages " + list(have_eku) + " differ from those of TLS mode " +
                               std::string(to_string(g.request.mode)) + " " + list(want_eku)};
  const auto have_ku = sorted_unique(leaf_of(g).key_usages());
  const auto want_ku = sorted_unique(key_usages_for(g.request.key));
  if (have_ku != want_ku)
    return ReissueDecision{ReissueReason::kUsageChanged,
                           "the key usages " + list(have_ku) + " differ from the expected " + list(want_ku)};
  return std::nullopt;
}

std::optional<ReissueDecision> check_key_algorithm(const Gathered& g) {
  if (g.held.key.spec != g.request.key)
    return ReissueDecision{
        ReissueReason::kKeyAlgorithmChanged,
        "the key is " + describe(g.held.key.spec) + ", the request asks for " + describe(g.request.key)};
  return std::nullopt;
}

std::optional<ReissueDecision> check_expiry(const Gathered& g) {
  const Certificate& leaf = leaf_of(g);
  if (leaf.not_after() <= g.now)
    return ReissueDecision{ReissueReason::kExpired, "the certificate expired at " + format_rfc3339(leaf.not_after())};
  const TimePoint renew_at = renewal_time(leaf, g.request.renew_before);
  if (renew_at <= g.now)
    return ReissueDecision{ReissueReason::kRenewalDue, "the renewal time " + format_rfc3339(renew_at) +
                                                           " has passed (the certificate expires at " +
                                                           format_rfc3339(leaf.not_after()) + ")"};
  return std::nullopt;
}

// The cache key of a (tls.key, leaf) pair. The key's length goes first, so that no two pairs
// hash the same bytes.
std::string digest_of(std::string_view key_pem, const Certificate& leaf) {
  const std::string leaf_der = leaf.to_der();
  const uint64_t key_size = key_pem.size();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), &key_size, sizeof key_size) != 1 ||
      EVP_DigestUpdate(ctx.get(), key_pem.data(), key_pem.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), leaf_der.data(), leaf_der.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), md, &len) != 1)
    std::abort();  // SHA-256 over bytes in memory fails only for lack of memory
  return std::string(reinterpret_cast<const char*>(md), len);
}

}  // namespace

std::string_view to_string(ReissueReason reason) {
  switch (reason) {
    case ReissueReason::kMissingData: return "MissingData";
    case ReissueReason::kInvalidData: return "InvalidData";
    case ReissueReason::kKeyMismatch: return "KeyMismatch";
    case ReissueReason::kRevoked: return "Revoked";
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

KeyFacts read_key_facts(std::string_view key_pem, const Certificate& leaf) {
  auto key = PrivateKey::from_pem(key_pem);
  if (!key.ok()) return KeyFacts{};
  return KeyFacts{true, leaf.matches_key(*key), key->spec()};
}

KeyFacts KeyFactsCache::facts_of(std::string_view key_pem, const Certificate& leaf) {
  std::string digest = digest_of(key_pem, leaf);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = by_digest_.find(digest); it != by_digest_.end()) return it->second;
  }
  // Read outside the lock: other workers' lookups need not wait for it.
  const KeyFacts facts = read_key_facts(key_pem, leaf);
  std::lock_guard<std::mutex> lock(mu_);
  if (by_digest_.size() >= capacity_) by_digest_.clear();
  by_digest_.emplace(std::move(digest), facts);
  return facts;
}

size_t KeyFactsCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_digest_.size();
}

HeldIdentity read_held_identity(std::optional<std::string_view> certificate_pem,
                                std::optional<std::string_view> key_pem, KeyFactsCache* cache) {
  HeldIdentity held;
  held.has_certificate = certificate_pem && !certificate_pem->empty();
  held.has_key = key_pem && !key_pem->empty();
  if (held.has_certificate) {
    // tls.crt holds the chain; the leaf comes first.
    if (auto chain = Certificate::chain_from_pem(*certificate_pem); chain.ok()) held.chain = std::move(*chain);
  }
  // Without a leaf the decision is InvalidData whatever the key holds.
  if (held.has_key && !held.chain.empty())
    held.key = cache ? cache->facts_of(*key_pem, held.chain.front()) : read_key_facts(*key_pem, held.chain.front());
  return held;
}

std::optional<ReissueDecision> decide_reissue(const HeldRenewalInput& input) {
  static const Check kChecks[] = {check_missing,  check_parses, check_key_matches,   check_not_revoked, check_issuer,
                                  check_identity, check_usages, check_key_algorithm, check_expiry};
  for (const auto& check : kChecks)
    if (auto decision = check(input)) return decision;
  return std::nullopt;
}

std::optional<ReissueDecision> decide_reissue(const RenewalInput& input) {
  const HeldIdentity held = read_held_identity(input.certificate_pem, input.key_pem);
  return decide_reissue(HeldRenewalInput{held, input.request, input.issuing_ca, input.trusted_cas, input.now});
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
