#include "pki/trust_bundle.hpp"

#include <openssl/pem.h>

#include <algorithm>

namespace sso::pki {

TrustBundle::TrustBundle(Certificate issuing_ca) { anchors_.push_back(Anchor{std::move(issuing_ca), std::nullopt}); }

void TrustBundle::rotate_to(Certificate next, TimePoint overlap_end) {
  if (issuing_ca() == next) return;
  std::vector<Anchor> rotated;
  rotated.push_back(Anchor{std::move(next), std::nullopt});
  for (auto& anchor : anchors_) {
    if (anchor.certificate == rotated.front().certificate) continue;  // rotating back to an older CA
    if (!anchor.retire_at || *anchor.retire_at > overlap_end) anchor.retire_at = overlap_end;
    rotated.push_back(std::move(anchor));
  }
  anchors_ = std::move(rotated);
}

bool TrustBundle::prune(TimePoint now) {
  const auto before = anchors_.size();
  anchors_.erase(std::remove_if(anchors_.begin() + 1, anchors_.end(),
                                [&](const Anchor& a) {
                                  return (a.retire_at && *a.retire_at <= now) || a.certificate.not_after() <= now;
                                }),
                 anchors_.end());
  return anchors_.size() != before;
}

std::vector<Certificate> TrustBundle::certificates() const {
  std::vector<Certificate> out;
  for (const auto& a : anchors_) out.push_back(a.certificate);
  return out;
}

std::string TrustBundle::to_pem() const { return pki::to_pem(certificates()); }

Status verify_chain(const std::vector<Certificate>& chain, const std::vector<Certificate>& anchors,
                    VerifyPurpose purpose, TimePoint now, std::string_view crl_pem) {
  if (chain.empty()) return invalid_argument("verify: empty chain");
  X509StorePtr store(X509_STORE_new());
  for (const auto& a : anchors)
    if (X509_STORE_add_cert(store.get(), &a.native()) != 1) return openssl_error("verify: add trust anchor");
  X509BorrowedStackPtr untrusted(sk_X509_new_null());
  for (size_t i = 1; i < chain.size(); ++i) sk_X509_push(untrusted.get(), &chain[i].native());
  unsigned long flags = X509_V_FLAG_USE_CHECK_TIME;
  if (!crl_pem.empty()) {
    BioPtr bio(BIO_new_mem_buf(crl_pem.data(), static_cast<int>(crl_pem.size())));
    X509CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    if (!crl) return openssl_error("verify: read CRL", ErrorCode::kInvalidArgument);
    if (X509_STORE_add_crl(store.get(), crl.get()) != 1) return openssl_error("verify: add CRL");
    flags |= X509_V_FLAG_CRL_CHECK;
  }
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), &chain.front().native(), untrusted.get()) != 1)
    return openssl_error("verify: init");
  X509_STORE_CTX_set_flags(ctx.get(), flags);
  X509_STORE_CTX_set_time(ctx.get(), 0, std::chrono::system_clock::to_time_t(now));
  X509_STORE_CTX_set_purpose(ctx.get(),
                             purpose == VerifyPurpose::kServer ? X509_PURPOSE_SSL_SERVER : X509_PURPOSE_SSL_CLIENT);
  const int ok = X509_verify_cert(ctx.get());
  const int err = X509_STORE_CTX_get_error(ctx.get());
  clear_openssl_errors();
  if (ok != 1)
    return Error(ErrorCode::kFailedPrecondition, X509_verify_cert_error_string(err))
        .add_context("verify \"" + chain.front().subject() + "\"");
  return ok_status();
}

}  // namespace sso::pki
