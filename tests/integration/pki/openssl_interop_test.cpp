// The certificates, keystores and CRLs the PKI engine writes, checked by the openssl
// command line: a tool nobody here wrote.
#include <cctype>
#include <fstream>
#include <iterator>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture_files.hpp"
#include "pki/certificate_authority.hpp"
#include "pki/keystore.hpp"
#include "pki/revocation.hpp"
#include "pki/trust_bundle.hpp"
#include "pki_fixtures.hpp"
#include "process.hpp"
#include "status_matchers.hpp"

namespace sso::pki {
namespace {

using ::sso::testing::cert_fixture;
using ::sso::testing::IsOk;
using ::sso::testing::ProcessResult;
using ::sso::testing::run_process;
using ::sso::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

// openssl checks against the real clock, so these tests mint at the real now.
TimePoint now() { return std::chrono::system_clock::now(); }

CertificateAuthority new_ca(const std::string& name = "interop CA", KeySpec key = {}) {
  return ::sso::testing::make_test_ca(now() - 1min, key, name);
}

IdentityRequest request(TlsMode mode = TlsMode::kMutual, KeySpec key = {}) {
  return ::sso::testing::payments_request(mode, key);
}

Identity issue(const CertificateAuthority& ca, const IdentityRequest& r) {
  return ::sso::testing::issue_or_die(ca, r, now());
}

ProcessResult openssl(std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), SSO_OPENSSL_BIN);
  return run_process(args, input);
}

ProcessResult verify(const TempDir& dir, const std::string& purpose, const std::string& ca_pem,
                     const std::string& leaf_pem, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"verify", "-purpose", purpose, "-CAfile", dir.write("ca.pem", ca_pem)};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(dir.write("leaf.pem", leaf_pem));
  return openssl(args);
}

TEST(OpensslVerify, AcceptsAMutualLeafAsServerAndClient) {
  TempDir dir;
  const auto ca = new_ca();
  const Identity leaf = issue(ca, request(TlsMode::kMutual));
  for (const char* purpose : {"sslserver", "sslclient"}) {
    const ProcessResult r = verify(dir, purpose, ca.certificate().to_pem(), leaf.chain_pem());
    EXPECT_EQ(r.exit_code, 0) << purpose << ": " << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr(": OK"));
  }
}

TEST(OpensslVerify, RefusesAServerOnlyLeafAsClient) {
  TempDir dir;
  const auto ca = new_ca();
  const Identity leaf = issue(ca, request(TlsMode::kServer));
  EXPECT_EQ(verify(dir, "sslserver", ca.certificate().to_pem(), leaf.chain_pem()).exit_code, 0);
  const ProcessResult as_client = verify(dir, "sslclient", ca.certificate().to_pem(), leaf.chain_pem());
  EXPECT_NE(as_client.exit_code, 0);
  EXPECT_THAT(as_client.out + as_client.err, HasSubstr("unsuitable certificate purpose"));
}

TEST(OpensslVerify, RefusesALeafOfAnotherCa) {
  TempDir dir;
  const auto ca = new_ca("ours");
  const auto other = new_ca("theirs");
  const Identity leaf = issue(other, request());
  EXPECT_NE(verify(dir, "sslserver", ca.certificate().to_pem(), leaf.chain_pem()).exit_code, 0);
}

TEST(OpensslVerify, AcceptsEveryAlgorithm) {
  TempDir dir;
  for (const KeySpec& key : {KeySpec{KeyAlgorithm::kECDSA, 384}, KeySpec{KeyAlgorithm::kECDSA, 521},
                             KeySpec{KeyAlgorithm::kRSA, 2048}, KeySpec{KeyAlgorithm::kEd25519, 0}}) {
    const auto ca = new_ca("CA " + describe(key), key);
    const Identity leaf = issue(ca, request(TlsMode::kMutual, key));
    const ProcessResult r = verify(dir, "sslserver", ca.certificate().to_pem(), leaf.chain_pem());
    EXPECT_EQ(r.exit_code, 0) << describe(key) << ": " << r.out << r.err;
  }
}

TEST(OpensslX509, ShowsTheSansAndSpiffeId) {
  TempDir dir;
  const auto ca = new_ca();
  const Identity leaf = issue(ca, request());
  const ProcessResult r = openssl({"x509", "-noout", "-ext", "subjectAltName,basicConstraints,extendedKeyUsage", "-in",
                                   dir.write("leaf.pem", leaf.leaf().to_pem())});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("DNS:payments.shop.svc.cluster.local"));
  EXPECT_THAT(r.out, HasSubstr("URI:spiffe://cluster.local/ns/shop/sa/payments"));
  EXPECT_THAT(r.out, HasSubstr("CA:FALSE"));
  EXPECT_THAT(r.out, HasSubstr("TLS Web Server Authentication, TLS Web Client Authentication"));
}

TEST(OpensslVerify, AcceptsALeafOfAnIntermediateThroughItsChain) {
  TempDir dir;
  // A user's intermediate, made by openssl (tests/support/certs).
  auto intermediate = CertificateAuthority::load(cert_fixture("openssl-intermediate-ca.crt"),
                                                 cert_fixture("openssl-intermediate-ca.key"), now());
  ASSERT_THAT(intermediate, IsOk());
  const Identity leaf = issue(*intermediate, request());
  // tls.crt holds leaf + intermediate; the root alone is trusted.
  const ProcessResult r = verify(dir, "sslserver", cert_fixture("openssl-root-ca.crt"), leaf.leaf().to_pem(),
                                 {"-untrusted", dir.write("chain.pem", leaf.chain[1].to_pem())});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(OpensslVerify, ABundleDuringCaRotationAcceptsLeavesOfBothCas) {
  TempDir dir;
  const auto old_ca = new_ca("old CA");
  const auto new_ca_ = new_ca("new CA");
  TrustBundle bundle(old_ca.certificate());
  bundle.rotate_to(new_ca_.certificate(), now() + 24h);
  for (const auto* ca : {&old_ca, &new_ca_}) {
    const Identity leaf = issue(*ca, request());
    const ProcessResult r = verify(dir, "sslserver", bundle.to_pem(), leaf.chain_pem());
    EXPECT_EQ(r.exit_code, 0) << ca->certificate().subject() << ": " << r.out << r.err;
  }
  bundle.prune(now() + 25h);
  const Identity old_leaf = issue(old_ca, request());
  EXPECT_NE(verify(dir, "sslserver", bundle.to_pem(), old_leaf.chain_pem()).exit_code, 0);
}

TEST(OpensslCrl, RejectsTheRevokedCertificateAndAcceptsTheOthers) {
  TempDir dir;
  const auto ca = new_ca();
  const Identity revoked = issue(ca, request());
  const Identity kept = issue(ca, request());
  RevocationList list;
  ASSERT_THAT(list.revoke(revoked.leaf().serial_hex(), now(), RevocationReason::kKeyCompromise), IsOk());
  auto crl = sign_crl(ca, list, 7, now() - 1min, now() + 24h);
  ASSERT_THAT(crl, IsOk());
  const std::string crl_file = dir.write("crl.pem", *crl);

  const ProcessResult bad =
      verify(dir, "sslserver", ca.certificate().to_pem(), revoked.chain_pem(), {"-crl_check", "-CRLfile", crl_file});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.out + bad.err, HasSubstr("certificate revoked"));
  const ProcessResult good =
      verify(dir, "sslserver", ca.certificate().to_pem(), kept.chain_pem(), {"-crl_check", "-CRLfile", crl_file});
  EXPECT_EQ(good.exit_code, 0) << good.out << good.err;

  const ProcessResult text = openssl({"crl", "-noout", "-text", "-in", crl_file});
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_THAT(text.out, HasSubstr("X509v3 CRL Number"));
  EXPECT_THAT(text.out, HasSubstr("Key Compromise"));
  const ProcessResult signed_ok =
      openssl({"crl", "-noout", "-in", crl_file, "-CAfile", dir.write("ca.pem", ca.certificate().to_pem())});
  EXPECT_THAT(signed_ok.out + signed_ok.err, HasSubstr("verify OK"));
}

// The revoked list is read back from the CRL itself (the operator's persisted list): a CRL
// that `openssl ca -gencrl` signed, from its own index of revoked serials, reads back the same.
TEST(OpensslCrl, ReadCrlGivesBackTheEntriesOfACrlOpensslSigned) {
  TempDir dir;
  const auto ca = new_ca();
  const Identity leaf = issue(ca, request());
  std::string serial = leaf.leaf().serial_hex();
  for (char& c : serial) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (serial.size() % 2) serial = "0" + serial;
  dir.write("index.txt", "R\t301231000000Z\t261126101500Z,keyCompromise\t" + serial + "\tunknown\t/CN=payments\n");
  dir.write("crlnumber", "05\n");
  const std::string config = dir.write("ca.cnf", "[ca]\ndefault_ca = d\n[d]\ndir = " + dir.file("") +
                                                     "\ndatabase = $dir/index.txt\ncrlnumber = $dir/crlnumber\n"
                                                     "default_md = sha256\n");
  const ProcessResult signed_by_openssl =
      openssl({"ca", "-gencrl", "-config", config, "-cert", dir.write("ca.pem", ca.certificate().to_pem()), "-keyfile",
               dir.write("ca.key", std::string(ca.key_pem().reveal())), "-crldays", "7", "-out", dir.file("crl.pem")});
  ASSERT_EQ(signed_by_openssl.exit_code, 0) << signed_by_openssl.err;
  std::ifstream in(dir.file("crl.pem"));
  const std::string crl((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  auto read = read_crl(crl, ca.certificate());
  ASSERT_THAT(read, IsOk());
  ASSERT_EQ(read->entries().size(), 1u);
  EXPECT_TRUE(read->is_revoked(leaf.leaf().serial_hex()));
  EXPECT_EQ(read->entries()[0].reason, RevocationReason::kKeyCompromise);
  EXPECT_EQ(format_rfc3339(read->entries()[0].revoked_at), "2026-11-26T10:15:00Z");
  EXPECT_FALSE(read_crl(crl, new_ca("another CA").certificate()).ok()) << "signed by the other CA only";
}

TEST(OpensslPkcs12, OpensTheKeystoreWithItsPasswordWithModernCiphers) {
  TempDir dir;
  const auto ca = new_ca();
  const Identity leaf = issue(ca, request());
  auto p12 = encode_pkcs12(leaf, {ca.certificate()}, SecretBytes("s3cret-pass"), "payments");
  ASSERT_THAT(p12, IsOk());
  const std::string file = dir.write("keystore.p12", std::string(p12->reveal()));

  // -info describes the encryption; -nokeys keeps the key out of the test's output.
  const ProcessResult info = openssl({"pkcs12", "-in", file, "-passin", "pass:s3cret-pass", "-info", "-nokeys"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_THAT(info.err, HasSubstr("PBES2, PBKDF2, AES-256-CBC"));
  EXPECT_THAT(info.err, HasSubstr("MAC: sha256"));
  EXPECT_THAT(info.err, Not(HasSubstr("RC2")));
  EXPECT_THAT(info.err, Not(HasSubstr("3DES")));
  EXPECT_THAT(info.out, HasSubstr(leaf.leaf().to_pem()));
  EXPECT_THAT(info.out, HasSubstr(ca.certificate().to_pem()));

  // The key inside is the leaf's: compare public halves only.
  const ProcessResult pub = run_process({"sh", "-c",
                                         std::string(SSO_OPENSSL_BIN) + " pkcs12 -in '" + file +
                                             "' -passin pass:s3cret-pass -nocerts -nodes 2>/dev/null | " +
                                             SSO_OPENSSL_BIN + " pkey -pubout"});
  const ProcessResult cert_pub =
      openssl({"x509", "-noout", "-pubkey", "-in", dir.write("leaf.pem", leaf.leaf().to_pem())});
  ASSERT_EQ(pub.exit_code, 0);
  EXPECT_EQ(pub.out, cert_pub.out);

  const ProcessResult wrong = openssl({"pkcs12", "-in", file, "-passin", "pass:wrong", "-nokeys"});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_THAT(wrong.err, HasSubstr("Mac verify error"));
}

TEST(OpensslKey, ReadsTheKeyAsPkcs8AndMatchesTheCertificate) {
  TempDir dir;
  const auto ca = new_ca();
  const Identity leaf = issue(ca, request());
  const std::string key_file = dir.write("tls.key", std::string(leaf.key.to_pkcs8_pem().reveal()));
  const ProcessResult pub = openssl({"pkey", "-in", key_file, "-pubout"});
  const ProcessResult cert_pub =
      openssl({"x509", "-noout", "-pubkey", "-in", dir.write("leaf.pem", leaf.leaf().to_pem())});
  ASSERT_EQ(pub.exit_code, 0);
  EXPECT_EQ(pub.out, cert_pub.out);
}

}  // namespace
}  // namespace sso::pki
