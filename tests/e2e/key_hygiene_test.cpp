// Private keys never leave the Secrets they belong in: the operator runs at its most verbose
// log level through issuance, webhook calls, a CA rotation and a deleted Secret; then every
// key any Secret held at any point is searched for in everything it printed, every Event and
// its metrics. Failure messages name the Secret and where the key was found, never the key.
#include <set>
#include <sstream>

#include "base/base64.hpp"
#include "webhook_cluster.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;

// What of a private key could show up in text: each line of its PEM body, and a stretch of its
// PEM as base64 (the form it has in a Secret's data), taken past the ASN.1 header that every
// key of one algorithm shares (so that a match names the right key).
struct KeyNeedles {
  std::string where;  // "shop/checkout-tls tls.key"
  std::vector<std::string> needles;
};

KeyNeedles needles_of(const std::string& where, const std::string& pem, const std::string& base64_pem) {
  KeyNeedles k{where, {}};
  std::istringstream lines(pem);
  for (std::string line; std::getline(lines, line);)
    if (line.size() >= 40 && line.find("-----") == std::string::npos) k.needles.push_back(line);
  if (base64_pem.size() > 168) k.needles.push_back(base64_pem.substr(108, 60));
  return k;
}

class KeyHygieneE2E : public WebhookClusterTest {
 protected:
  std::vector<std::string> extra_operator_flags() const override {
    return {"--log-level", "debug", "--ca-rotation-propagation", "1s", "--ca-rotation-overlap", "2s"};
  }

  // Every private key in every Secret of the cluster now.
  void collect_keys() {
    const json secrets = api_->get("/api/v1/secrets").body;
    for (const auto& secret : secrets.value("items", json::array())) {
      const std::string name = secret["metadata"].value("namespace", "") + "/" + secret["metadata"].value("name", "");
      const json data = secret.value("data", json::object());
      for (const auto& [field, value] : data.items()) {
        auto decoded = base64_decode(value.get<std::string>());
        if (!decoded.ok() || decoded->find("PRIVATE KEY-----") == std::string::npos) continue;
        keys_.push_back(needles_of(name + " " + field, *decoded, value.get<std::string>()));
      }
    }
  }

  std::vector<KeyNeedles> keys_;
};

TEST_F(KeyHygieneE2E, NoPrivateKeyInLogsEventsOrMetrics) {
  apply_checkout();
  kubectl_ok({"apply", "-f", std::string(SSO_EXAMPLES_DIR) + "/shop.yaml"});
  auto ready = [&](const std::string& ns, const std::string& name) {
    const json s = api_->get("/apis/secureservice.io/v1alpha1/namespaces/" + ns + "/secureservices/" + name).body;
    for (const auto& c : s.value("status", json::object()).value("conditions", json::array()))
      if (c.value("type", "") == "CertificateReady") return c.value("status", "") == "True";
    return false;
  };
  ASSERT_TRUE(
      eventually([&] { return ready("shop", "checkout") && ready("shop", "payments"); }, std::chrono::seconds(30)))
      << operator_->output().substr(0, 4000);
  // Webhook calls, admitted and denied.
  (void)create(pod({}));
  (void)create(pod({.name = "bare", .secret = "", .mount_path = ""}));
  collect_keys();

  // A CA rotation: a staged key, then every leaf re-issued.
  const std::string serial_before = api_->get("/apis/secureservice.io/v1alpha1/namespaces/shop/secureservices/checkout")
                                        .body["status"]["certificate"]
                                        .value("serialNumber", "");
  kubectl_ok({"annotate", "secret", "secureservice-operator-ca", "-n", "default", "secureservice.io/rotate=now"});
  ASSERT_TRUE(eventually([&] {
    return api_->get("/api/v1/namespaces/default/secrets/secureservice-operator-ca")
        .body.value("data", json::object())
        .contains("next.key");
  })) << "the rotation staged a next CA";
  collect_keys();
  ASSERT_TRUE(eventually(
      [&] {
        return api_->get("/apis/secureservice.io/v1alpha1/namespaces/shop/secureservices/checkout")
                   .body["status"]["certificate"]
                   .value("serialNumber", "") != serial_before;
      },
      std::chrono::seconds(30)));
  collect_keys();
  // A deleted identity Secret is re-minted (a fresh key).
  kubectl_ok({"delete", "secret", "payments-tls", "-n", "shop"});
  ASSERT_TRUE(eventually([&] { return api_->get("/api/v1/namespaces/shop/secrets/payments-tls").code == 200; }));
  collect_keys();
  ASSERT_GE(keys_.size(), 5u) << "the identities, the CA, the staged CA and the webhook's key";

  const std::map<std::string, std::string> places = {
      {"the operator's output (debug logs)", operator_->output()},
      {"the Events", api_->get("/api/v1/events").body.dump() + api_->get("/apis/events.k8s.io/v1/events").body.dump()},
      {"/metrics", scrape()},
  };
  for (const auto& [place, text] : places) {
    ASSERT_FALSE(text.empty()) << place;
    EXPECT_EQ(text.find("PRIVATE KEY"), std::string::npos) << place << " holds a PEM private key marker";
    for (const auto& key : keys_)
      for (const auto& needle : key.needles)
        EXPECT_EQ(text.find(needle), std::string::npos) << place << " holds part of the private key of " << key.where;
  }
}

}  // namespace
}  // namespace sso::testing
