// The secureservice-operator binary as a user runs it, its output checked by real tools.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "process.hpp"

namespace {

using ::sso::testing::ProcessResult;
using ::sso::testing::run_process;
using ::sso::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

ProcessResult op(std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), SSO_OPERATOR_BIN);
  return run_process(args, input);
}

size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

// The body of a PEM private key, to search outputs for.
std::string key_body(const std::string& pem) {
  const size_t start = pem.find('\n') + 1;
  return pem.substr(start, 48);
}

std::string read_file(const std::string& path) { return run_process({"cat", path}).out; }

TEST(Cli, PrintsItsVersion) {
  const ProcessResult r = op({"version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, StartsWith("secureservice-operator 0."));
}

TEST(Cli, BadUsageIsExitTwoWithOneLine) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"frobnicate"},
           {"ca", "destroy"},
           {"ca", "create", "--bogus"},
           {"ca", "create", "--size", "abc"},
           {"ca", "create", "--algorithm", "DSA"},
           {"ca", "create", "--validity", "10 years"},
           {"ca", "create", "extra-argument"},
           {"cert", "inspect"},
           {"cert", "inspect", "a", "b"},
           {"cert", "inspect", "-o", "xml", "x.pem"},
       }) {
    const ProcessResult r = op(args);
    EXPECT_EQ(r.exit_code, 2) << args.back();
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_THAT(r.err, StartsWith("secureservice-operator")) << r.err;
  }
  EXPECT_EQ(op({}).exit_code, 2);
}

TEST(Cli, HelpOnEveryCommand) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"--help"}, {"ca", "create", "--help"}, {"cert", "inspect", "--help"}}) {
    const ProcessResult r = op(args);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_THAT(r.out, HasSubstr("Usage: secureservice-operator"));
  }
}

TEST(CaCreate, PrintsASecretThatKubeApiserverValidationAccepts) {
  const ProcessResult secret = op({"ca", "create", "--name", "shop-ca", "--namespace", "shop"});
  ASSERT_EQ(secret.exit_code, 0) << secret.err;
  const ProcessResult valid = run_process({SSO_VALIDATE_MANIFESTS, "-"}, secret.out);
  EXPECT_EQ(valid.exit_code, 0) << valid.out << valid.err;
  EXPECT_THAT(secret.out, HasSubstr("type: kubernetes.io/tls"));
  EXPECT_THAT(secret.err, Not(HasSubstr("PRIVATE KEY")));

  // The Secret reads back with cert inspect from stdin.
  const ProcessResult inspect = op({"cert", "inspect", "-o", "json", "-"}, secret.out);
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  const auto report = nlohmann::json::parse(inspect.out);
  EXPECT_EQ(report["source"], "Secret shop/shop-ca");
  EXPECT_EQ(report["isCA"], true);
  EXPECT_EQ(report["keyMatches"], true);
  EXPECT_EQ(report["publicKey"], "ECDSA P-256");
}

TEST(CaCreate, WritesPemFilesThatOpensslAcceptsAndNeverReplacesThem) {
  TempDir dir;
  const std::string out = dir.file("ca");
  const ProcessResult first = op({"ca", "create", "--algorithm", "RSA", "--size", "3072", "--out-dir", out});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  struct stat st {};
  ASSERT_EQ(stat((out + "/tls.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const ProcessResult verify = run_process({SSO_OPENSSL_BIN, "verify", "-CAfile", out + "/ca.crt", out + "/tls.crt"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  const ProcessResult text = run_process({SSO_OPENSSL_BIN, "x509", "-noout", "-text", "-in", out + "/tls.crt"});
  EXPECT_THAT(text.out, HasSubstr("CA:TRUE"));
  EXPECT_THAT(text.out, HasSubstr("Public-Key: (3072 bit)"));

  const std::string key_before = read_file(out + "/tls.key");
  const ProcessResult again = op({"ca", "create", "--out-dir", out});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("already exists"));
  EXPECT_EQ(read_file(out + "/tls.key"), key_before) << "an existing CA key must never be replaced";
  EXPECT_THAT(first.err + again.err, Not(HasSubstr(key_body(key_before))));
}

TEST(CertInspect, ChecksTheKeyAgainstTheCertificate) {
  TempDir dir;
  ASSERT_EQ(op({"ca", "create", "--out-dir", dir.file("a")}).exit_code, 0);
  ASSERT_EQ(op({"ca", "create", "--out-dir", dir.file("b")}).exit_code, 0);
  const ProcessResult match = op({"cert", "inspect", dir.file("a/tls.crt"), "--key", dir.file("a/tls.key")});
  EXPECT_EQ(match.exit_code, 0) << match.err;
  EXPECT_THAT(match.out, HasSubstr("Key matches:          yes"));
  const ProcessResult mismatch = op({"cert", "inspect", dir.file("a/tls.crt"), "--key", dir.file("b/tls.key")});
  EXPECT_EQ(mismatch.exit_code, 1);
  EXPECT_THAT(mismatch.out, HasSubstr("NO"));
  const std::string key = read_file(dir.file("b/tls.key"));
  EXPECT_THAT(mismatch.out + mismatch.err, Not(HasSubstr(key_body(key))));
}

TEST(CertInspect, MatchesOpensslOnSerialAndFingerprint) {
  TempDir dir;
  ASSERT_EQ(op({"ca", "create", "--out-dir", dir.file("ca")}).exit_code, 0);
  const ProcessResult ours = op({"cert", "inspect", "-o", "json", dir.file("ca/tls.crt")});
  ASSERT_EQ(ours.exit_code, 0);
  const auto report = nlohmann::json::parse(ours.out);
  const ProcessResult theirs = run_process(
      {SSO_OPENSSL_BIN, "x509", "-noout", "-serial", "-fingerprint", "-sha256", "-in", dir.file("ca/tls.crt")});
  std::string serial = report["serialNumber"];
  std::transform(serial.begin(), serial.end(), serial.begin(), ::toupper);
  EXPECT_THAT(theirs.out, HasSubstr("serial=" + serial));
  EXPECT_THAT(theirs.out, HasSubstr("Fingerprint=" + report["fingerprintSHA256"].get<std::string>()));
}

TEST(CertInspect, GarbageIsAOneLineErrorNamingTheFile) {
  TempDir dir;
  for (const std::string& content :
       {std::string("hello"), std::string("kind: ConfigMap\n"),
        std::string("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), std::string(5 << 20, 'x')}) {
    const std::string file = dir.write("bad.pem", content);
    const ProcessResult r = op({"cert", "inspect", file});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_THAT(r.err, HasSubstr("bad.pem"));
  }
  const ProcessResult missing = op({"cert", "inspect", dir.file("nope.pem")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("nope.pem"));
}

}  // namespace
