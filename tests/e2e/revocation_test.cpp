// Revocation on demand end to end (issue #10): `secureservice-operator revoke` and `kubectl
// annotate` against the operator binary and the API test server; the published CRL checked
// with `openssl verify -crl_check` and `openssl crl`, nobody's code here.
#include <signal.h>

#include "base/base64.hpp"
#include "operator_process.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class RevocationE2E : public OperatorClusterTest {
 protected:
  void SetUp() override {
    OperatorClusterTest::SetUp();
    if (HasFatalFailure()) return;
    kubectl_ok({"apply", "-f", std::string(SSO_EXAMPLES_DIR) + "/00-namespaces.yaml"});
    kubectl_ok({"apply", "-f", dir_.write("ledger.yaml", secure_service_object("shop", "ledger").dump())});
  }

  // A CRL valid 6 s, re-signed every 3 s: the test sees it re-signed from what it lists.
  void start_operator() {
    port_ = free_port_pair();
    operator_ = std::make_unique<BackgroundProcess>(operator_argv(port_, {"--ca-crl-validity", "6s"}),
                                                    dir_.file("operator-" + std::to_string(port_) + ".log"));
  }

  json get(const std::string& path) {
    auto r = api_->get(path);
    return r.code == 200 ? r.body : json(nullptr);
  }
  json ledger() { return get("/apis/secureservice.io/v1alpha1/namespaces/shop/secureservices/ledger"); }
  std::string serial() {
    const json s = ledger();
    return s.is_object()
               ? s.value("status", json::object()).value("certificate", json::object()).value("serialNumber", "")
               : "";
  }
  std::string leaf_pem() {
    const json secret = get("/api/v1/namespaces/shop/secrets/ledger-tls");
    auto v = base64_decode(secret.is_object() ? secret["data"].value("tls.crt", "") : "");
    return v.ok() ? *v : "";
  }
  json bundle() { return get("/api/v1/namespaces/shop/configmaps/secureservice-trust-bundle"); }
  // `openssl crl -text` of the CRL the trust bundle publishes now.
  std::string published_crl_text() {
    const json b = bundle();
    if (!b.is_object()) return "";
    const auto r = run_process(
        {SSO_OPENSSL_BIN, "crl", "-noout", "-text", "-in", dir_.write("published.crl", b["data"].value("ca.crl", ""))});
    return r.exit_code == 0 ? r.out : "";
  }
  static bool lists(const std::string& crl_text, const std::string& serial_hex) {
    std::string upper = serial_hex;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return crl_text.find("Serial Number: " + upper) != std::string::npos ||
           crl_text.find("Serial Number: 0" + upper) != std::string::npos;
  }
  // openssl verify with the trust bundle's CAs and CRL, the way a CRL-checking peer does.
  ProcessResult verify_with_published_crl(const std::string& leaf) {
    const json b = bundle();
    return run_process({SSO_OPENSSL_BIN, "verify", "-crl_check", "-CAfile",
                        dir_.write("bundle.crt", b["data"].value("ca.crt", "")), "-CRLfile",
                        dir_.write("bundle.crl", b["data"].value("ca.crl", "")), dir_.write("leaf.crt", leaf)});
  }
  std::vector<json> ledger_events(const std::string& reason) {
    std::vector<json> out;
    for (const auto& e : get("/api/v1/namespaces/shop/events").value("items", json::array()))
      if (e.value("reason", "") == reason && e["involvedObject"].value("name", "") == "ledger") out.push_back(e);
    return out;
  }
  ProcessResult revoke(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {SSO_OPERATOR_BIN, "revoke", "--kubeconfig", kubeconfig_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
  }
  std::string metrics() {
    std::string text;
    http_code(port_ + 1, "/metrics", &text);
    return text;
  }

  std::unique_ptr<BackgroundProcess> operator_;
  uint16_t port_ = 0;
};

TEST_F(RevocationE2E, RevokedCertificatesAreRefusedByTheirCrlAndReplacedAndTheListOutlivesRestarts) {
  start_operator();
  ASSERT_TRUE(eventually([&] { return !serial().empty() && bundle().is_object(); }, std::chrono::seconds(30)))
      << operator_->output().substr(0, 4000);
  const std::string first = serial();
  const std::string first_pem = leaf_pem();
  ASSERT_EQ(verify_with_published_crl(first_pem).exit_code, 0) << "a fresh certificate passes the CRL check";

  // The command line: waits for the new certificate and names both.
  const ProcessResult revoked = revoke({"-n", "shop", "ledger", "--reason", "keyCompromise"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.out << revoked.err << operator_->output().substr(0, 4000);
  const std::string second = serial();
  EXPECT_NE(second, first);
  EXPECT_THAT(revoked.out, HasSubstr("certificate " + first + " is revoked; the new certificate is " + second));
  ASSERT_TRUE(eventually([&] { return lists(published_crl_text(), first); })) << published_crl_text();
  EXPECT_THAT(published_crl_text(), HasSubstr("Key Compromise"));
  const ProcessResult old_one = verify_with_published_crl(first_pem);
  EXPECT_NE(old_one.exit_code, 0);
  EXPECT_THAT(old_one.out + old_one.err, HasSubstr("certificate revoked"));
  const ProcessResult new_one = verify_with_published_crl(leaf_pem());
  EXPECT_EQ(new_one.exit_code, 0) << new_one.out << new_one.err;
  EXPECT_FALSE(ledger()["metadata"].value("annotations", json::object()).contains("secureservice.io/revoke"));
  // Events are written by the recorder's own thread: soon, not necessarily yet.
  ASSERT_TRUE(eventually([&] { return ledger_events("Revoked").size() == 1; })) << ledger_events("Revoked").size();
  EXPECT_THAT(ledger_events("Revoked")[0].value("message", ""), HasSubstr(first));
  EXPECT_TRUE(eventually([&] {
    const std::string m = metrics();
    return m.find("secureservice_certificates_revoked_total{reason=\"keyCompromise\"} 1") != std::string::npos &&
           m.find("secureservice_certificates_issued_total{algorithm=\"ECDSA\",reason=\"Revoked\"} 1") !=
               std::string::npos;
  })) << metrics();

  // kubectl alone does the same.
  kubectl_ok({"annotate", "-n", "shop", "secureservice", "ledger", "secureservice.io/revoke=superseded"});
  ASSERT_TRUE(eventually([&] { return serial() != second && !serial().empty(); })) << operator_->output();
  ASSERT_TRUE(eventually([&] {
    const std::string text = published_crl_text();
    return lists(text, first) && lists(text, second);
  })) << published_crl_text();
  EXPECT_THAT(published_crl_text(), HasSubstr("Superseded"));

  // A new process forgets nothing, and the CRL, valid 6 s, is re-signed in time from what it
  // lists: a later CRL number, a nextUpdate still ahead, both entries.
  operator_->signal(SIGTERM);
  ASSERT_EQ(operator_->wait(std::chrono::seconds(20)), 0);
  const std::string before_restart = published_crl_text();
  start_operator();
  ASSERT_TRUE(eventually(
      [&] {
        const std::string text = published_crl_text();
        return text != before_restart && lists(text, first) && lists(text, second);
      },
      std::chrono::seconds(15)))
      << published_crl_text();
  const json b = bundle();
  const auto next_update = run_process(
      {SSO_OPENSSL_BIN, "crl", "-noout", "-nextupdate", "-in", dir_.write("now.crl", b["data"].value("ca.crl", ""))});
  EXPECT_EQ(next_update.exit_code, 0);
  // Within its validity, the old certificate is still refused and the current one accepted.
  EXPECT_NE(verify_with_published_crl(first_pem).exit_code, 0);
  // A CRL valid 6 s may lapse on a loaded machine before the next one is published: the
  // current certificate passes with the CRL published next.
  EXPECT_TRUE(eventually([&] { return verify_with_published_crl(leaf_pem()).exit_code == 0; }))
      << verify_with_published_crl(leaf_pem()).err;
}

TEST_F(RevocationE2E, ARequestThatCannotBeCarriedOutIsRefusedRemovedAndRevokesNothing) {
  // Refused before anything is asked of the cluster.
  EXPECT_EQ(revoke({"-n", "shop", "ledger", "--reason", "lostIt"}).exit_code, 2);
  const ProcessResult missing = revoke({"-n", "shop", "nobody", "--wait", "0"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("secureservice shop/nobody not found"));

  start_operator();
  ASSERT_TRUE(eventually([&] { return !serial().empty(); }, std::chrono::seconds(30)));
  const std::string kept = serial();
  kubectl_ok({"annotate", "-n", "shop", "secureservice", "ledger", "secureservice.io/revoke=lostIt"});
  ASSERT_TRUE(eventually([&] { return !ledger_events("RevocationRefused").empty(); }))
      << operator_->output().substr(0, 4000);
  EXPECT_THAT(ledger_events("RevocationRefused")[0].value("message", ""), HasSubstr("lostIt"));
  EXPECT_EQ(ledger_events("RevocationRefused")[0].value("type", ""), "Warning");
  EXPECT_TRUE(eventually(
      [&] { return !ledger()["metadata"].value("annotations", json::object()).contains("secureservice.io/revoke"); }));
  EXPECT_EQ(serial(), kept);
  EXPECT_FALSE(lists(published_crl_text(), kept));
  EXPECT_THAT(metrics(), ::testing::Not(HasSubstr("secureservice_certificates_revoked_total{")));
}

}  // namespace
}  // namespace sso::testing
