#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/base64.hpp"
#include "cli/secret_manifest.hpp"
#include "cli/tls_material.hpp"
#include "status_matchers.hpp"

namespace sso::cli {
namespace {

using ::sso::testing::HasCode;
using ::sso::testing::IsOk;
using ::testing::HasSubstr;

constexpr const char* kCert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
constexpr const char* kKey = "-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n";

TEST(ReadTlsMaterial, TakesPemAsIs) {
  const std::string pem = std::string(kCert) + kKey;
  auto m = read_tls_material(pem);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->source, "PEM");
  EXPECT_EQ(m->certificates_pem, pem);
}

TEST(ReadTlsMaterial, DecodesASecretManifestWrittenByToYaml) {
  SecretManifest secret;
  secret.name = "payments-tls";
  secret.ns = "shop";
  secret.data = {{"tls.crt", kCert}, {"tls.key", kKey}, {"ca.crt", kCert}};
  auto m = read_tls_material(to_yaml(secret));
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->source, "Secret shop/payments-tls");
  EXPECT_EQ(m->certificates_pem, kCert);
  EXPECT_EQ(m->key_pem.reveal(), kKey);
  EXPECT_EQ(m->ca_pem, kCert);
}

TEST(ReadTlsMaterial, ReadsJsonAndStringData) {
  const std::string json = R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"},"data":{"tls.crt":")" +
                           base64_encode(kCert) + R"("}})";
  auto from_json = read_tls_material(json);
  ASSERT_THAT(from_json, IsOk());
  EXPECT_EQ(from_json->certificates_pem, kCert);

  const std::string yaml =
      "apiVersion: v1\nkind: Secret\nmetadata: {name: y}\nstringData:\n  tls.crt: |\n    "
      "-----BEGIN CERTIFICATE-----\n    AAAA\n    -----END CERTIFICATE-----\n";
  auto from_string_data = read_tls_material(yaml);
  ASSERT_THAT(from_string_data, IsOk());
  EXPECT_EQ(from_string_data->certificates_pem, kCert);
}

TEST(ReadTlsMaterial, RefusesWhatIsNotATlsSecret) {
  struct Row {
    std::string input;
    const char* says;
  };
  for (const Row& row : {
           Row{"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "not a Secret"},
           Row{"apiVersion: v1\nkind: Secret\nmetadata: {name: x}\ndata: {}\n", "no tls.crt"},
           Row{"apiVersion: v1\nkind: Secret\nmetadata: {name: x}\ndata: {tls.crt: '!!!'}\n", "data.tls.crt"},
           Row{"apiVersion: v1\nkind: Secret\nmetadata: {name: x}\ndata: {tls.crt: [a]}\n", "not a string"},
           Row{"[1, 2", "neither PEM nor"},
           Row{"just words", "neither PEM nor"},
       }) {
    auto m = read_tls_material(row.input);
    ASSERT_THAT(m, HasCode(ErrorCode::kInvalidArgument)) << row.input;
    EXPECT_THAT(m.error().describe(), HasSubstr(row.says)) << row.input;
  }
  EXPECT_THAT(read_tls_material(std::string(kMaxTlsInputBytes + 1, ' ')), HasCode(ErrorCode::kResourceExhausted));
}

}  // namespace
}  // namespace sso::cli
