#pragma once

#include <gtest/gtest.h>

#include <string>

#include "base/time.hpp"
#include "pki/certificate_authority.hpp"
#include "pki/identity.hpp"

namespace sso::testing {

// A fixed instant for pure tests, after the openssl fixtures were made: 2027-01-01T00:00:00Z.
inline TimePoint fixed_now() { return std::chrono::system_clock::from_time_t(1798761600); }

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint now = fixed_now()) : now_(now) {}
  TimePoint now() const override { return now_; }
  void advance(std::chrono::seconds d) { now_ += d; }

 private:
  TimePoint now_;
};

inline pki::CertificateAuthority make_test_ca(TimePoint now, pki::KeySpec key = {}, std::string name = "test CA",
                                              std::chrono::seconds validity = std::chrono::hours(24 * 365)) {
  pki::CaOptions options;
  options.common_name = std::move(name);
  options.key = key;
  options.validity = validity;
  auto ca = pki::CertificateAuthority::create(options, now);
  if (!ca.ok()) {
    ADD_FAILURE() << "create test CA: " << ca.error().describe();
    std::abort();
  }
  return std::move(*ca);
}

// The identity the operator would ask for a SecureService payments in namespace shop.
inline pki::IdentityRequest payments_request(pki::TlsMode mode = pki::TlsMode::kMutual, pki::KeySpec key = {}) {
  pki::IdentityRequest r;
  r.common_name = "payments.shop.svc";
  r.dns_names = {"payments", "payments.shop", "payments.shop.svc", "payments.shop.svc.cluster.local"};
  r.spiffe_id = "spiffe://cluster.local/ns/shop/sa/payments";
  r.mode = mode;
  r.key = key;
  r.duration = std::chrono::hours(2160);
  return r;
}

inline pki::Identity issue_or_die(const pki::CertificateAuthority& ca, const pki::IdentityRequest& request,
                                  TimePoint now) {
  auto identity = ca.issue(request, now);
  if (!identity.ok()) {
    ADD_FAILURE() << "issue: " << identity.error().describe();
    std::abort();
  }
  return std::move(*identity);
}

}  // namespace sso::testing
