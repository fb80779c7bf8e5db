// Nothing lost when the operator dies: it is killed with SIGKILL at random points while it
// issues identities and while it rotates the cluster CA, and restarted each time. An observer
// inside the API test server sees every version of every Secret as it is written: none may
// ever pair a key with a certificate it does not belong to, a key may change only when its
// certificate is re-issued for a reason (a new SecureService, the CA rotation), and in the
// end everything is Ready and the rotation complete.
#include <csignal>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "base/base64.hpp"
#include "operator_process.hpp"
#include "pki/certificate.hpp"
#include "pki/inspection.hpp"

namespace sso::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr int kServices = 40;
const std::vector<std::string> kNamespaces = {"crash-a", "crash-b"};

// Every version of every identity Secret, seen from inside the store as it is written.
class SecretObserver {
 public:
  explicit SecretObserver(apiserver::ObjectStore& store) {
    stream_ = std::make_shared<apiserver::WatchStream>();
    stream_->filter = {"", "secrets", std::nullopt, std::nullopt, std::nullopt};
    stream_->kind = "Secret";
    stream_->api_version = "v1";
    stream_->deadline = std::chrono::steady_clock::now() + 1h;
    stream_->send = [this](const json& event) {
      see(event);
      return true;
    };
    stream_->close = [] {};
    uint64_t oldest = 0;
    EXPECT_TRUE(store.start_watch(stream_, std::nullopt, &oldest));
  }

  // Secrets that ever held a key with a certificate it does not belong to, or unreadable data.
  std::vector<std::string> broken() const {
    std::lock_guard lock(mu_);
    return broken_;
  }
  // How many different keys, and certificates, each identity Secret has held.
  std::map<std::string, std::pair<size_t, size_t>> history() const {
    std::lock_guard lock(mu_);
    std::map<std::string, std::pair<size_t, size_t>> out;
    for (const auto& [name, keys] : keys_) out[name] = {keys.size(), certificates_.at(name).size()};
    return out;
  }

 private:
  void see(const json& event) {
    if (event.value("type", "") == "DELETED") return;
    const json& secret = event["object"];
    const std::string ns = secret["metadata"].value("namespace", "");
    if (std::find(kNamespaces.begin(), kNamespaces.end(), ns) == kNamespaces.end()) return;
    const std::string name = ns + "/" + secret["metadata"].value("name", "");
    const json data = secret.value("data", json::object());
    if (!data.contains("tls.crt") || !data.contains("tls.key")) return;
    auto cert = base64_decode(data["tls.crt"].get<std::string>());
    auto key = base64_decode(data["tls.key"].get<std::string>());
    std::lock_guard lock(mu_);
    if (!cert.ok() || !key.ok()) {
      broken_.push_back(name + ": data is not base64");
      return;
    }
    auto inspection = pki::inspect_pem(*cert, *key);
    if (!inspection.ok() || inspection->key_matches != true) {
      // Never the key itself: only the Secret and what was wrong.
      broken_.push_back(name + (inspection.ok() ? ": key does not match the certificate" : ": unreadable"));
      return;
    }
    keys_[name].insert(std::hash<std::string>{}(*key));
    certificates_[name].insert(inspection->fingerprint_sha256);
  }

  std::shared_ptr<apiserver::WatchStream> stream_;
  mutable std::mutex mu_;
  std::vector<std::string> broken_;
  std::map<std::string, std::set<size_t>> keys_;
  std::map<std::string, std::set<std::string>> certificates_;
};

class CrashE2E : public OperatorClusterTest {
 protected:
  void SetUp() override {
    OperatorClusterTest::SetUp();
    if (HasFatalFailure()) return;
    port_ = free_port_pair();
    for (const auto& ns : kNamespaces)
      ASSERT_EQ(api_->post("/api/v1/namespaces", {{"metadata", {{"name", ns}}}}).code, 201);
    observer_ = std::make_unique<SecretObserver>(server_->api().store());
  }

  void start_operator() {
    ++starts_;
    operator_ = std::make_unique<BackgroundProcess>(
        operator_argv(port_, {"--ca-rotation-propagation", "1s", "--ca-rotation-overlap", "2s"}),
        dir_.file("operator-" + std::to_string(starts_) + ".log"));
  }

  // SIGKILL, as the kubelet's OOM kill or a node loss would end it: no shutdown at all.
  void kill_operator() {
    operator_->signal(SIGKILL);
    ASSERT_TRUE(operator_->wait(10s).has_value());
  }

  // Sleeps a random time in [low, high): where the kill lands.
  void random_pause(std::chrono::milliseconds low, std::chrono::milliseconds high) {
    std::uniform_int_distribution<int64_t> pick(low.count(), high.count() - 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(pick(rng_)));
  }

  std::string path(const std::string& ns, const std::string& name = "") const {
    return "/apis/secureservice.io/v1alpha1/namespaces/" + ns + "/secureservices" + (name.empty() ? "" : "/" + name);
  }

  void create_services() {
    for (int i = 0; i < kServices; ++i) {
      const std::string ns = kNamespaces[i % kNamespaces.size()];
      const std::string name = "svc-" + std::to_string(i);
      const json service = secure_service_object(
          ns, name, {{"allowedClients", {{{"secureService", "svc-" + std::to_string((i + 2) % kServices)}}}}});
      ASSERT_EQ(api_->post(path(ns), service).code, 201) << name;
    }
  }

  // SecureServices not yet Ready=True; `example` gets the status of one.
  int not_ready(std::string* example = nullptr) {
    int missing = 0;
    for (const auto& ns : kNamespaces) {
      for (const auto& s : api_->get(path(ns)).body.value("items", json::array())) {
        bool ready = false;
        for (const auto& c : s.value("status", json::object()).value("conditions", json::array()))
          ready = ready || (c.value("type", "") == "Ready" && c.value("status", "") == "True");
        if (!ready && example)
          *example = s["metadata"].value("name", "") + " " + s.value("status", json::object()).dump();
        if (!ready) ++missing;
      }
    }
    return missing;
  }

  json ca_secret() { return api_->get("/api/v1/namespaces/default/secrets/secureservice-operator-ca").body; }

  std::string last_output() const { return operator_ ? operator_->output().substr(0, 3000) : std::string(); }

  uint16_t port_ = 0;
  int starts_ = 0;
  std::mt19937 rng_{std::random_device{}()};
  std::unique_ptr<SecretObserver> observer_;
  std::unique_ptr<BackgroundProcess> operator_;
};

TEST_F(CrashE2E, KilledDuringIssuanceAndCaRotationLosesNothing) {
  // Issuance: the operator dies three times while it mints 40 identities.
  start_operator();
  create_services();
  for (int kill = 0; kill < 3; ++kill) {
    random_pause(200ms, 1500ms);
    kill_operator();
    start_operator();
  }
  std::string example;
  ASSERT_TRUE(eventually([&] { return not_ready() == 0; }, 60s))
      << not_ready(&example) << " not Ready, e.g. " << example << "\n"
      << last_output();
  for (const auto& [name, counts] : observer_->history()) {
    EXPECT_EQ(counts.first, 1u) << name << " got a new key without a reason (killed operator restarted)";
    EXPECT_EQ(counts.second, 1u) << name << " was issued twice";
  }
  EXPECT_EQ(observer_->history().size(), static_cast<size_t>(kServices));

  // A CA rotation: the operator dies as it stages, promotes and re-issues.
  const std::string old_ca = ca_secret()["data"].value("tls.crt", "");
  kubectl_ok({"annotate", "secret", "secureservice-operator-ca", "-n", "default", "secureservice.io/rotate=now"});
  for (int kill = 0; kill < 3; ++kill) {
    random_pause(300ms, 2500ms);
    kill_operator();
    start_operator();
  }
  // Complete: the new CA signs, nothing is staged, the previous CA is retired from ca.crt.
  ASSERT_TRUE(eventually(
      [&] {
        const json data = ca_secret().value("data", json::object());
        if (data.value("tls.crt", "") == old_ca || data.contains("next.key")) return false;
        auto bundle = base64_decode(data.value("ca.crt", ""));
        auto old_pem = base64_decode(old_ca);
        return bundle.ok() && old_pem.ok() && bundle->find(old_pem->substr(30, 200)) == std::string::npos;
      },
      60s))
      << "the rotation did not complete\n"
      << last_output();
  ASSERT_TRUE(eventually([&] { return not_ready() == 0; }, 60s)) << not_ready() << " not Ready\n" << last_output();

  // Every leaf is now signed by the new CA, and was re-issued once for it: one more key
  // (rotationPolicy Always) and one more certificate, whatever the kills.
  auto new_ca = base64_decode(ca_secret()["data"].value("tls.crt", ""));
  ASSERT_TRUE(new_ca.ok());
  auto ca = pki::Certificate::from_pem(*new_ca);
  ASSERT_TRUE(ca.ok());
  for (const auto& ns : kNamespaces) {
    for (const auto& secret : api_->get("/api/v1/namespaces/" + ns + "/secrets").body.value("items", json::array())) {
      if (secret.value("type", "") != "kubernetes.io/tls") continue;
      auto leaf = base64_decode(secret.value("data", json::object()).value("tls.crt", ""));
      ASSERT_TRUE(leaf.ok());
      auto chain = pki::Certificate::chain_from_pem(*leaf);
      ASSERT_TRUE(chain.ok() && !chain->empty()) << secret["metadata"]["name"];
      EXPECT_TRUE(chain->front().is_signed_by(*ca)) << secret["metadata"]["name"] << " is not signed by the new CA";
    }
  }
  for (const auto& [name, counts] : observer_->history()) {
    EXPECT_EQ(counts.first, 2u) << name << ": keys held";
    EXPECT_EQ(counts.second, 2u) << name << ": certificates held";
  }
  EXPECT_THAT(observer_->broken(), ::testing::IsEmpty());
}

}  // namespace
}  // namespace sso::testing
