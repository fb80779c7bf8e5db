#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/pkcs12.h>

#include "pki/keystore.hpp"
#include "pki_fixtures.hpp"
#include "status_matchers.hpp"

namespace sso::pki {
namespace {

using ::sso::testing::fixed_now;
using ::sso::testing::HasCode;
using ::sso::testing::IsOk;
using ::sso::testing::issue_or_die;
using ::sso::testing::make_test_ca;
using ::sso::testing::payments_request;

Pkcs12Ptr parse(const SecretBytes& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.reveal().data());
  return Pkcs12Ptr(d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())));
}

TEST(Pkcs12, OpensWithItsPasswordOnly) {
  const auto ca = make_test_ca(fixed_now());
  const Identity identity = issue_or_die(ca, payments_request(), fixed_now());
  auto der = encode_pkcs12(identity, {ca.certificate()}, SecretBytes("changeit"), "payments");
  ASSERT_THAT(der, IsOk());
  Pkcs12Ptr p12 = parse(*der);
  ASSERT_TRUE(p12);
  EXPECT_EQ(PKCS12_verify_mac(p12.get(), "changeit", -1), 1);
  EXPECT_EQ(PKCS12_verify_mac(p12.get(), "wrong", -1), 0);

  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* cas = nullptr;
  ASSERT_EQ(PKCS12_parse(p12.get(), "changeit", &key, &cert, &cas), 1);
  PKeyPtr key_owner(key);
  X509Ptr cert_owner(cert);
  X509StackPtr cas_owner(cas);
  EXPECT_EQ(EVP_PKEY_eq(key, &identity.key.native()), 1);
  EXPECT_EQ(X509_cmp(cert, &identity.leaf().native()), 0);
  ASSERT_EQ(sk_X509_num(cas), 1);
  EXPECT_EQ(X509_cmp(sk_X509_value(cas, 0), &ca.certificate().native()), 0);
}

TEST(Pkcs12, RefusesAnEmptyPassword) {
  const auto ca = make_test_ca(fixed_now());
  const Identity identity = issue_or_die(ca, payments_request(), fixed_now());
  EXPECT_THAT(encode_pkcs12(identity, {}, SecretBytes(""), "payments"), HasCode(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace sso::pki
