// `secureservice-operator render` as a GitOps user runs it on the repository's examples, its
// output checked by real tools: validate-manifests for every object, the openssl command line
// for every certificate. render prints private keys: no assertion here prints its stdout, and
// tool output is redacted before it goes into a failure message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "base/base64.hpp"
#include "kube/manifest_yaml.hpp"
#include "process.hpp"
#include "rendered_objects.hpp"

namespace {

using nlohmann::json;
using ::sso::testing::ProcessResult;
using ::sso::testing::run_process;
using ::sso::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kNameLabel = "secureservice.io/name";

ProcessResult op(std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), SSO_OPERATOR_BIN);
  return run_process(args, input);
}

std::string ns_of(const json& o) { return o["metadata"].value("namespace", ""); }
std::string name_of(const json& o) { return o["metadata"].value("name", ""); }
std::string id_of(const json& o) {
  return o.value("apiVersion", "") + " " + o.value("kind", "") + " " + ns_of(o) + "/" + name_of(o);
}
std::string owner_of(const json& o) {
  return o["metadata"].contains("labels") ? o["metadata"]["labels"].value(kNameLabel, "") : "";
}

std::string secret_value(const json& secret, const std::string& key) {
  if (!secret.contains("data") || !secret["data"].contains(key)) return "";
  auto decoded = sso::base64_decode(secret["data"][key].get<std::string>());
  return decoded.ok() ? *decoded : "";
}

// What render printed, parsed; the raw text stays in here.
struct Rendered : ::sso::testing::RenderedObjects {
  std::set<std::string> kinds_owned_by(const std::string& ns, const std::string& service) const {
    std::set<std::string> out;
    for (const auto& o : objects)
      if (ns_of(o) == ns && owner_of(o) == service) out.insert(o.value("apiVersion", "") + " " + o.value("kind", ""));
    return out;
  }
  // Replaces every Secret value (base64 and decoded) so tool output can be shown safely.
  std::string redact(std::string text) const {
    for (const auto& s : of_kind("Secret")) {
      const json data = s.value("data", json::object());
      for (const auto& [key, value] : data.items()) {
        for (const std::string& secret : {value.get<std::string>(), secret_value(s, key)}) {
          if (secret.size() < 16) continue;
          for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
            text.replace(at, secret.size(), "<redacted>");
        }
      }
    }
    // Whatever else looks like a key block.
    for (size_t at = text.find("PRIVATE KEY"); at != std::string::npos; at = text.find("PRIVATE KEY", at + 1))
      text = text.substr(0, at) + "<redacted>";
    return text;
  }
};

Rendered render(std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), "render");
  ProcessResult r = op(args, input);
  Rendered out;
  out.exit_code = r.exit_code;
  out.err = r.err;
  out.yaml = std::move(r.out);
  if (out.exit_code == 0) {
    auto objects = sso::kube::read_manifests(out.yaml, "render output");
    EXPECT_TRUE(objects.ok()) << "render's output does not read back: " << static_cast<int>(objects.error().code());
    if (objects.ok()) out.objects = std::move(*objects);
  }
  return out;
}

Rendered render_examples(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"-f", SSO_EXAMPLES_DIR};
  args.insert(args.end(), extra.begin(), extra.end());
  return render(args);
}

// The examples' SecureServices: namespace, name, service account, whether Mutual, extra DNS.
struct Example {
  std::string ns, name, service_account;
  bool mutual;
  std::vector<std::string> extra_dns;
};
const std::vector<Example> kExamples = {
    {"front", "frontend", "frontend", true, {}}, {"shop", "catalog", "catalog", false, {"catalog.shop.example.com"}},
    {"shop", "checkout", "checkout", true, {}},  {"shop", "inventory", "inventory", true, {}},
    {"shop", "payments", "payments", true, {}},
};

// `openssl verify` of the leaf in `secret` against `ca_file` for `purpose`.
ProcessResult verify(const TempDir& dir, const json& secret, const std::string& ca_file, const std::string& purpose) {
  const std::string leaf = dir.write(name_of(secret) + ".crt", secret_value(secret, "tls.crt"));
  return run_process({SSO_OPENSSL_BIN, "verify", "-purpose", purpose, "-CAfile", ca_file, leaf});
}

const json* find_secret(const Rendered& r, const std::string& ns, const std::string& name) {
  for (const auto& o : r.objects)
    if (o.value("kind", "") == "Secret" && ns_of(o) == ns && name_of(o) == name) return &o;
  return nullptr;
}

TEST(Render, EveryObjectOfTheExamplesPassesValidateManifests) {
  const Rendered r = render_examples();
  ASSERT_EQ(r.exit_code, 0) << r.redact(r.err);
  ASSERT_FALSE(r.objects.empty());
  const ProcessResult valid = run_process({SSO_VALIDATE_MANIFESTS, "--crds", SSO_CRDS_DIR, "-q", "-"}, r.yaml);
  EXPECT_EQ(valid.exit_code, 0) << r.redact(valid.out) << r.redact(valid.err);
}

TEST(Render, WritesASecretWithARealIdentityForEachSecureService) {
  const Rendered r = render_examples();
  ASSERT_EQ(r.exit_code, 0) << r.redact(r.err);
  EXPECT_EQ(r.of_kind("Secret").size(), kExamples.size());
  TempDir dir;
  for (const auto& e : kExamples) {
    SCOPED_TRACE(e.ns + "/" + e.name);
    const json* secret = find_secret(r, e.ns, e.name + "-tls");
    ASSERT_NE(secret, nullptr);
    EXPECT_EQ(secret->value("type", ""), "kubernetes.io/tls");
    EXPECT_FALSE(secret_value(*secret, "tls.key").empty());
    EXPECT_FALSE((*secret)["metadata"].contains("ownerReferences"));  // no uid offline
    const std::string ca = dir.write(e.name + "-ca.crt", secret_value(*secret, "ca.crt"));

    const ProcessResult server = verify(dir, *secret, ca, "sslserver");
    EXPECT_EQ(server.exit_code, 0) << r.redact(server.out + server.err);
    const ProcessResult client = verify(dir, *secret, ca, "sslclient");
    if (e.mutual) {
      EXPECT_EQ(client.exit_code, 0) << r.redact(client.out + client.err);
    } else {
      EXPECT_NE(client.exit_code, 0) << "a Server-mode certificate must not authenticate clients";
    }

    const ProcessResult san = run_process(
        {SSO_OPENSSL_BIN, "x509", "-noout", "-ext", "subjectAltName", "-in", dir.file(e.name + "-tls.crt")});
    ASSERT_EQ(san.exit_code, 0) << r.redact(san.err);
    std::vector<std::string> want = {e.name, e.name + "." + e.ns, e.name + "." + e.ns + ".svc",
                                     e.name + "." + e.ns + ".svc.cluster.local"};
    want.insert(want.end(), e.extra_dns.begin(), e.extra_dns.end());
    for (const auto& dns : want) EXPECT_THAT(san.out, HasSubstr("DNS:" + dns + ","));
    EXPECT_THAT(san.out, HasSubstr("URI:spiffe://cluster.local/ns/" + e.ns + "/sa/" + e.service_account));
  }
}

TEST(Render, WritesOneTrustBundlePerNamespace) {
  const Rendered r = render_examples();
  ASSERT_EQ(r.exit_code, 0) << r.redact(r.err);
  std::multiset<std::string> namespaces;
  for (const auto& cm : r.of_kind("ConfigMap")) {
    EXPECT_EQ(name_of(cm), "secureservice-trust-bundle");
    EXPECT_THAT(cm["data"].value("ca.crt", ""), HasSubstr("BEGIN CERTIFICATE"));
    EXPECT_THAT(cm["data"].value("ca.crl", ""), HasSubstr("BEGIN X509 CRL"));
    namespaces.insert(ns_of(cm));
  }
  EXPECT_EQ(namespaces, (std::multiset<std::string>{"front", "shop"}));
}

TEST(Render, WritesNetworkPoliciesAndTheMeshObjectsOfEachProvider) {
  const Rendered r = render_examples();
  ASSERT_EQ(r.exit_code, 0) << r.redact(r.err);
  for (const auto& e : kExamples) {
    SCOPED_TRACE(e.ns + "/" + e.name);
    const auto kinds = r.kinds_owned_by(e.ns, e.name);
    EXPECT_TRUE(kinds.contains("networking.k8s.io/v1 NetworkPolicy"));
    const bool istio = e.name == "checkout" || e.name == "payments";
    const bool linkerd = e.name == "inventory";
    const auto has_group = [&](const std::string& group) {
      return std::any_of(kinds.begin(), kinds.end(), [&](const std::string& k) { return k.find(group) != k.npos; });
    };
    EXPECT_EQ(has_group("istio.io/"), istio);
    EXPECT_EQ(has_group("linkerd.io/"), linkerd);
    if (istio) {
      EXPECT_TRUE(kinds.contains("security.istio.io/v1 PeerAuthentication"));
      EXPECT_TRUE(kinds.contains("security.istio.io/v1 AuthorizationPolicy"));
    }
    if (linkerd) {
      EXPECT_TRUE(kinds.contains("policy.linkerd.io/v1beta3 Server"));
      EXPECT_TRUE(kinds.contains("policy.linkerd.io/v1alpha1 MeshTLSAuthentication"));
      EXPECT_TRUE(kinds.contains("policy.linkerd.io/v1alpha1 AuthorizationPolicy"));
    }
  }
  // All clients of the examples are among them: no warning.
  EXPECT_THAT(r.err, Not(HasSubstr("warning")));
}

TEST(Render, PrintsTheSameObjectsInTheSameOrderWhateverTheFileOrder) {
  const Rendered forward =
      render({"-f", SSO_EXAMPLES_DIR "/shop.yaml", "-f", SSO_EXAMPLES_DIR "/inventory-linkerd.yaml"});
  const Rendered backward =
      render({"-f", SSO_EXAMPLES_DIR "/inventory-linkerd.yaml", "-f", SSO_EXAMPLES_DIR "/shop.yaml"});
  ASSERT_EQ(forward.exit_code, 0) << forward.redact(forward.err);
  ASSERT_EQ(backward.exit_code, 0) << backward.redact(backward.err);
  std::vector<std::string> a, b;
  for (const auto& o : forward.objects) a.push_back(id_of(o));
  for (const auto& o : backward.objects) b.push_back(id_of(o));
  EXPECT_EQ(a, b);
  ASSERT_FALSE(a.empty());
  EXPECT_THAT(a.front(), HasSubstr("Secret front/frontend-tls"));
}

TEST(Render, SignsWithTheCaOfCaCreateOutDir) {
  TempDir dir;
  const std::string ca_dir = dir.path() + "/ca";
  const ProcessResult created = op({"ca", "create", "--out-dir", ca_dir});
  ASSERT_EQ(created.exit_code, 0) << created.err;

  const Rendered r = render_examples({"--ca-dir", ca_dir});
  ASSERT_EQ(r.exit_code, 0) << r.redact(r.err);
  EXPECT_THAT(r.err, Not(HasSubstr("no --ca-dir")));
  ASSERT_EQ(r.of_kind("Secret").size(), kExamples.size());
  for (const auto& secret : r.of_kind("Secret")) {
    const ProcessResult v = verify(dir, secret, ca_dir + "/ca.crt", "sslserver");
    EXPECT_EQ(v.exit_code, 0) << name_of(secret) << ": " << r.redact(v.out + v.err);
  }
  // The CA's key is only read, never printed.
  const std::string ca_key = run_process({"cat", ca_dir + "/tls.key"}).out;
  ASSERT_FALSE(ca_key.empty());
  EXPECT_TRUE(r.yaml.find(ca_key) == std::string::npos) << "render printed the CA's private key";
  EXPECT_TRUE(r.err.find(ca_key) == std::string::npos) << "render put the CA's private key on stderr";
}

TEST(Render, WithoutCaDirSaysItMintedACa) {
  const Rendered r = render_examples();
  ASSERT_EQ(r.exit_code, 0) << r.redact(r.err);
  EXPECT_THAT(r.err, HasSubstr("no --ca-dir"));
  // Every Secret's key stays on stdout.
  for (const auto& secret : r.of_kind("Secret")) {
    const std::string key = secret_value(secret, "tls.key");
    ASSERT_GT(key.size(), 80u);
    const std::string body = key.substr(key.find('\n') + 1, 48);
    EXPECT_TRUE(r.err.find(body) == std::string::npos) << "stderr holds the key of " << name_of(secret);
  }
}

TEST(Render, RefusesAnInvalidSecureServiceNamingFileDocumentAndField) {
  TempDir dir;
  const std::string file = dir.write("bad.yaml",
                                     "apiVersion: v1\n"
                                     "kind: Namespace\n"
                                     "metadata: {name: shop}\n"
                                     "---\n"
                                     "apiVersion: secureservice.io/v1alpha1\n"
                                     "kind: SecureService\n"
                                     "metadata: {name: broken, namespace: shop}\n"
                                     "spec:\n"
                                     "  selector: {matchLabels: {app: broken}}\n"
                                     "  ports: [{port: 8443}]\n"
                                     "  tls: {duration: 24h, renewBefore: 24h}\n");
  const Rendered r = render({"-f", SSO_EXAMPLES_DIR "/shop.yaml", "-f", file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.yaml.empty()) << "stdout has " << r.yaml.size() << " bytes";
  EXPECT_THAT(r.err, HasSubstr(file + ": document 2"));
  EXPECT_THAT(r.err, HasSubstr("spec.tls.renewBefore"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Render, WarnsAboutAClientMissingFromTheInputAndAllowsNothingForIt) {
  const Rendered r = render({"-f", SSO_EXAMPLES_DIR "/inventory-linkerd.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.redact(r.err);
  EXPECT_THAT(r.err, HasSubstr("warning: SecureService shop/inventory"));
  EXPECT_THAT(r.err, HasSubstr("shop/checkout"));
  // The NetworkPolicy still exists (denying everyone) and validates.
  EXPECT_EQ(r.of_kind("NetworkPolicy").size(), 1u);
  const ProcessResult valid = run_process({SSO_VALIDATE_MANIFESTS, "--crds", SSO_CRDS_DIR, "-q", "-"}, r.yaml);
  EXPECT_EQ(valid.exit_code, 0) << r.redact(valid.out) << r.redact(valid.err);
}

TEST(Render, BadUsageIsExitTwo) {
  EXPECT_EQ(op({"render"}).exit_code, 2);
  EXPECT_EQ(op({"render", "-f"}).exit_code, 2);
  EXPECT_EQ(op({"render", "--bogus", "x"}).exit_code, 2);
  const ProcessResult help = op({"render", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("Usage: secureservice-operator render"));
}

}  // namespace
