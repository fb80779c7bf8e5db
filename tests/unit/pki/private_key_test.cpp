#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture_files.hpp"
#include "pki/private_key.hpp"
#include "status_matchers.hpp"

namespace sso::pki {
namespace {

using ::sso::testing::HasCode;
using ::sso::testing::IsOk;

TEST(KeySpec, DefaultsFollowCertManager) {
  auto ecdsa = make_key_spec("ECDSA", 0);
  ASSERT_THAT(ecdsa, IsOk());
  EXPECT_EQ(*ecdsa, (KeySpec{KeyAlgorithm::kECDSA, 256}));
  auto rsa = make_key_spec("rsa", 0);
  ASSERT_THAT(rsa, IsOk());
  EXPECT_EQ(*rsa, (KeySpec{KeyAlgorithm::kRSA, 2048}));
  auto ed = make_key_spec("Ed25519", 4096);  // size is ignored for Ed25519
  ASSERT_THAT(ed, IsOk());
  EXPECT_EQ(*ed, (KeySpec{KeyAlgorithm::kEd25519, 0}));
}

TEST(KeySpec, RefusesUnknownAlgorithmsAndSizes) {
  struct Row {
    const char* algorithm;
    int size;
  };
  for (const Row& row :
       {Row{"DSA", 0}, Row{"ECDSA", 224}, Row{"RSA", 1024}, Row{"RSA", 8192}, Row{"ECDSA", -1}, Row{"X25519", 0}}) {
    EXPECT_THAT(make_key_spec(row.algorithm, row.size), HasCode(ErrorCode::kInvalidArgument))
        << row.algorithm << " " << row.size;
  }
}

class EveryAlgorithm : public ::testing::TestWithParam<KeySpec> {};

TEST_P(EveryAlgorithm, GeneratesAKeyThatRoundTripsThroughPkcs8) {
  auto key = PrivateKey::generate(GetParam());
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->spec(), GetParam());
  const SecretBytes pem = key->to_pkcs8_pem();
  EXPECT_EQ(pem.reveal().rfind("-----BEGIN PRIVATE KEY-----", 0), 0u) << "PKCS#8, not a traditional encoding";
  auto back = PrivateKey::from_pem(pem.reveal());
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->spec(), GetParam());
  EXPECT_EQ(back->public_key_der(), key->public_key_der());
}

INSTANTIATE_TEST_SUITE_P(Algorithms, EveryAlgorithm,
                         ::testing::Values(KeySpec{KeyAlgorithm::kECDSA, 256}, KeySpec{KeyAlgorithm::kECDSA, 384},
                                           KeySpec{KeyAlgorithm::kECDSA, 521}, KeySpec{KeyAlgorithm::kRSA, 2048},
                                           KeySpec{KeyAlgorithm::kEd25519, 0}),
                         [](const auto& info) {
                           return std::string(algorithm_name(info.param.algorithm)) + std::to_string(info.param.size);
                         });

TEST(PrivateKey, ReadsTraditionalEncodingsMadeByOpenssl) {
  auto rsa = PrivateKey::from_pem(::sso::testing::cert_fixture("rsa-traditional.key"));
  ASSERT_THAT(rsa, IsOk());
  EXPECT_EQ(rsa->spec(), (KeySpec{KeyAlgorithm::kRSA, 2048}));
  auto ec = PrivateKey::from_pem(::sso::testing::cert_fixture("ec-traditional.key"));
  ASSERT_THAT(ec, IsOk());
  EXPECT_EQ(ec->spec(), (KeySpec{KeyAlgorithm::kECDSA, 256}));
}

TEST(PrivateKey, RefusesEncryptedKeysClearly) {
  auto key = PrivateKey::from_pem(::sso::testing::cert_fixture("encrypted.key"));
  ASSERT_THAT(key, HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(key.error().describe(), ::testing::HasSubstr("encrypted"));
}

TEST(PrivateKey, RefusesGarbageTwoKeysAndCertificates) {
  EXPECT_THAT(PrivateKey::from_pem("not pem at all"), HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
              HasCode(ErrorCode::kInvalidArgument));
  const std::string two =
      ::sso::testing::cert_fixture("ec-traditional.key") + ::sso::testing::cert_fixture("rsa-traditional.key");
  EXPECT_THAT(PrivateKey::from_pem(two), HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(PrivateKey::from_pem(::sso::testing::cert_fixture("openssl-leaf.crt")),
              HasCode(ErrorCode::kInvalidArgument));
}

TEST(PrivateKey, ErrorsNeverQuoteKeyMaterial) {
  // A key whose body is damaged: the error must not echo any of it.
  std::string pem = ::sso::testing::cert_fixture("ec-traditional.key");
  const std::string body_line = pem.substr(pem.find('\n') + 1, 40);
  pem[pem.find('\n') + 10] = pem[pem.find('\n') + 10] == 'A' ? 'B' : 'A';
  pem.insert(pem.find("-----END"), "AAAA\n");
  auto key = PrivateKey::from_pem(pem);
  ASSERT_FALSE(key.ok());
  EXPECT_THAT(key.error().describe(), ::testing::Not(::testing::HasSubstr(body_line.substr(0, 16))));
}

}  // namespace
}  // namespace sso::pki
