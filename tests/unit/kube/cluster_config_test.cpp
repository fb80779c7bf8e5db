#include "kube/cluster_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "base/base64.hpp"
#include "fixture_files.hpp"
#include "status_matchers.hpp"

namespace sso::kube {
namespace {

namespace fs = std::filesystem;
using ::sso::testing::cert_fixture;
using ::sso::testing::HasCode;
using ::sso::testing::IsOk;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "sso-cluster-config-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

// Indents PEM (or any text) as a YAML block scalar under a key at `indent` spaces.
std::string block(const std::string& text, int indent) {
  std::string out = "|\n";
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    out += std::string(indent, ' ') + text.substr(begin, end - begin) + "\n";
    begin = end + 1;
  }
  return out;
}

std::string message_of(const Result<ClusterConfig>& r) { return r.ok() ? std::string() : r.error().describe(); }

// No 16-byte run of `secret` appears in `message`.
::testing::AssertionResult reveals_nothing_of(const std::string& message, const std::string& secret) {
  constexpr size_t kWindow = 16;
  for (size_t i = 0; i + kWindow <= secret.size(); ++i) {
    const std::string piece = secret.substr(i, kWindow);
    if (message.find(piece) != std::string::npos)
      return ::testing::AssertionFailure() << "message contains \"" << piece << "\": " << message;
  }
  return ::testing::AssertionSuccess();
}

const std::string kCaPem = cert_fixture("openssl-root-ca.crt");
const std::string kCertPem = cert_fixture("openssl-leaf.crt");
const std::string kKeyPem = cert_fixture("openssl-leaf.key");

// A kind-style kubeconfig with everything inline.
std::string inline_kubeconfig() {
  return "apiVersion: v1\n"
         "kind: Config\n"
         "current-context: kind-kind\n"
         "clusters:\n"
         "- name: kind\n"
         "  cluster:\n"
         "    server: https://127.0.0.1:6443\n"
         "    certificate-authority-data: " +
         base64_encode(kCaPem) +
         "\n"
         "contexts:\n"
         "- name: kind-kind\n"
         "  context:\n"
         "    cluster: kind\n"
         "    user: admin\n"
         "users:\n"
         "- name: admin\n"
         "  user:\n"
         "    client-certificate-data: " +
         base64_encode(kCertPem) +
         "\n"
         "    client-key-data: " +
         base64_encode(kKeyPem) + "\n";
}

// One context "c" joining cluster "kind" and user "admin", with the given bodies (indented 4).
std::string kubeconfig_with(const std::string& cluster_body, const std::string& user_body) {
  return "current-context: c\n"
         "contexts:\n"
         "- name: c\n"
         "  context: {cluster: kind, user: admin}\n"
         "clusters:\n"
         "- name: kind\n"
         "  cluster:\n" +
         cluster_body +
         "users:\n"
         "- name: admin\n"
         "  user:\n" +
         user_body;
}

const std::string kServer = "    server: https://k.example:6443\n";

// ---- load_kubeconfig: fields ----

TEST(LoadKubeconfig, ReadsTheCurrentContextsClusterAndUser) {
  TempDir dir;
  write_file(dir / "config", inline_kubeconfig());
  auto config = load_kubeconfig(dir / "config");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->server, "https://127.0.0.1:6443");
  EXPECT_EQ(config->ca_pem, kCaPem);
  EXPECT_FALSE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->client_cert_pem, kCertPem);
  EXPECT_EQ(config->client_key_pem.reveal(), kKeyPem);
  EXPECT_EQ(config->bearer_token, "");
  EXPECT_EQ(config->bearer_token_file, "");
  EXPECT_EQ(config->source, "kubeconfig " + (dir / "config").string() + " (context kind-kind)");
}

TEST(LoadKubeconfig, TheGivenContextWinsOverCurrentContext) {
  TempDir dir;
  write_file(dir / "config",
             "current-context: one\n"
             "contexts:\n"
             "- {name: one, context: {cluster: a}}\n"
             "- {name: two, context: {cluster: b, user: bob}}\n"
             "clusters:\n"
             "- {name: a, cluster: {server: 'https://a.example'}}\n"
             "- {name: b, cluster: {server: 'http://b.example:8080'}}\n"
             "users:\n"
             "- {name: bob, user: {token: bob-token}}\n");
  auto current = load_kubeconfig(dir / "config");
  ASSERT_THAT(current, IsOk());
  EXPECT_EQ(current->server, "https://a.example");
  EXPECT_EQ(current->bearer_token, "");

  auto chosen = load_kubeconfig(dir / "config", "two");
  ASSERT_THAT(chosen, IsOk());
  EXPECT_EQ(chosen->server, "http://b.example:8080");
  EXPECT_EQ(chosen->bearer_token, "bob-token");
  EXPECT_THAT(chosen->source, HasSubstr("(context two)"));
}

TEST(LoadKubeconfig, AGivenContextNeedsNoCurrentContext) {
  TempDir dir;
  write_file(dir / "config",
             "contexts: [{name: two, context: {cluster: b}}]\n"
             "clusters: [{name: b, cluster: {server: 'https://b.example'}}]\n");
  EXPECT_THAT(load_kubeconfig(dir / "config", "two"), IsOk());
}

TEST(LoadKubeconfig, ReadsFilesRelativeToTheKubeconfigsDirectory) {
  TempDir dir;
  write_file(dir / "pki/ca.crt", kCaPem);
  write_file(dir / "pki/client.crt", kCertPem);
  write_file(dir / "pki/client.key", kKeyPem);
  write_file(dir / "token", "file-token\n");
  write_file(dir / "kube/config", kubeconfig_with(kServer + "    certificate-authority: ../pki/ca.crt\n",
                                                  "    client-certificate: ../pki/client.crt\n"
                                                  "    client-key: ../pki/client.key\n"
                                                  "    tokenFile: ../token\n"));
  auto config = load_kubeconfig(dir / "kube/config");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->ca_pem, kCaPem);
  EXPECT_EQ(config->client_cert_pem, kCertPem);
  EXPECT_EQ(config->client_key_pem.reveal(), kKeyPem);
  // Kept as a path for BearerTokenSource to re-read, not copied.
  EXPECT_EQ(config->bearer_token, "");
  EXPECT_TRUE(fs::path(config->bearer_token_file).is_absolute());
  EXPECT_TRUE(fs::equivalent(config->bearer_token_file, dir / "token"));
}

TEST(LoadKubeconfig, ReadsAbsolutePathsAsGiven) {
  TempDir dir;
  const std::string ca = std::string(SSO_TEST_CERTS_DIR) + "/openssl-root-ca.crt";
  write_file(dir / "config", kubeconfig_with(kServer + "    certificate-authority: " + ca + "\n", "    {}\n"));
  auto config = load_kubeconfig(dir / "config");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->ca_pem, kCaPem);
}

TEST(LoadKubeconfig, DataWinsOverFile) {
  TempDir dir;
  write_file(dir / "other.pem", "not what should be used");
  // The files named do not exist or hold other bytes: the -data fields win without reading them.
  write_file(dir / "config", kubeconfig_with(kServer + "    certificate-authority: missing-ca.crt\n" +
                                                 "    certificate-authority-data: " + base64_encode(kCaPem) + "\n",
                                             "    client-certificate: other.pem\n"
                                             "    client-certificate-data: " +
                                                 base64_encode(kCertPem) +
                                                 "\n"
                                                 "    client-key: missing.key\n"
                                                 "    client-key-data: " +
                                                 base64_encode(kKeyPem) + "\n"));
  auto config = load_kubeconfig(dir / "config");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->ca_pem, kCaPem);
  EXPECT_EQ(config->client_cert_pem, kCertPem);
  EXPECT_EQ(config->client_key_pem.reveal(), kKeyPem);
}

TEST(LoadKubeconfig, ReadsTokenAndInsecureSkipTlsVerify) {
  TempDir dir;
  write_file(dir / "config", kubeconfig_with(kServer + "    insecure-skip-tls-verify: true\n", "    token: abc.def\n"));
  auto config = load_kubeconfig(dir / "config");
  ASSERT_THAT(config, IsOk());
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->bearer_token, "abc.def");
  EXPECT_EQ(config->ca_pem, "");
}

TEST(LoadKubeconfig, TokenWithTokenFileKeepsBothAndDoesNotNeedTheFileYet) {
  TempDir dir;
  // As clientcmd: with a token, tokenFile is not read at load time.
  write_file(dir / "config", kubeconfig_with(kServer, "    token: fixed\n    tokenFile: later-token\n"));
  auto config = load_kubeconfig(dir / "config");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->bearer_token, "fixed");
  EXPECT_EQ(fs::path(config->bearer_token_file), dir / "later-token");
}

TEST(LoadKubeconfig, AUserWithoutCredentialsIsAnonymous) {
  TempDir dir;
  write_file(dir / "config", kubeconfig_with(kServer, "    {}\n"));
  auto config = load_kubeconfig(dir / "config");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->bearer_token, "");
  EXPECT_EQ(config->bearer_token_file, "");
  EXPECT_EQ(config->client_cert_pem, "");
  EXPECT_TRUE(config->client_key_pem.empty());
}

TEST(LoadKubeconfig, AContextWithoutAUserIsAnonymous) {
  TempDir dir;
  write_file(dir / "config",
             "current-context: c\n"
             "contexts: [{name: c, context: {cluster: kind}}]\n"
             "clusters: [{name: kind, cluster: {server: 'https://k.example'}}]\n");
  auto config = load_kubeconfig(dir / "config");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->server, "https://k.example");
}

TEST(LoadKubeconfig, EmptyAndNullFieldsAreUnset) {
  TempDir dir;
  write_file(dir / "config", kubeconfig_with(kServer + "    certificate-authority-data: ''\n"
                                                       "    certificate-authority: ~\n",
                                             "    token: ''\n    as: ''\n    exec: ~\n"));
  auto config = load_kubeconfig(dir / "config");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->ca_pem, "");
  EXPECT_EQ(config->bearer_token, "");
}

// ---- load_kubeconfig: errors ----

TEST(LoadKubeconfig, AMissingFileIsNotFoundNamingThePath) {
  TempDir dir;
  auto config = load_kubeconfig(dir / "nope");
  EXPECT_THAT(config, HasCode(ErrorCode::kNotFound));
  EXPECT_THAT(message_of(config), HasSubstr("kubeconfig " + (dir / "nope").string() + ": "));
}

TEST(LoadKubeconfig, AnEmptyFileHasNoCurrentContext) {
  TempDir dir;
  write_file(dir / "config", "");
  auto config = load_kubeconfig(dir / "config");
  EXPECT_THAT(config, HasCode(ErrorCode::kInvalidArgument));
  EXPECT_EQ(message_of(config), "kubeconfig " + (dir / "config").string() +
                                    ": current-context is not set (use --context or set current-context)");
}

struct BrokenCase {
  std::string name;
  std::string kubeconfig;
  ErrorCode code;
  std::string names;  // the field (and what is wrong) the one-line message must name
  std::string context = "";
};

void PrintTo(const BrokenCase& c, std::ostream* os) { *os << c.name; }

class BrokenKubeconfig : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(BrokenKubeconfig, IsOneLineNamingTheFileAndTheField) {
  const BrokenCase& c = GetParam();
  TempDir dir;
  write_file(dir / "config", c.kubeconfig);
  auto config = load_kubeconfig(dir / "config", c.context);
  ASSERT_THAT(config, HasCode(c.code));
  const std::string message = message_of(config);
  EXPECT_THAT(message, HasSubstr("kubeconfig " + (dir / "config").string() + ": "));
  EXPECT_THAT(message, HasSubstr(c.names));
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

const std::string kGoodUser = "    token: t\n";

INSTANTIATE_TEST_SUITE_P(
    Errors, BrokenKubeconfig,
    ::testing::Values(
        BrokenCase{"NotYaml", "clusters: [\n  - name: a\n    b: c\n", ErrorCode::kInvalidArgument,
                   ": not YAML: yaml-cpp: error at line"},
        BrokenCase{"TopLevelNotAMapping", "- a\n- b\n", ErrorCode::kInvalidArgument, "the top level is not a mapping"},
        BrokenCase{"NoCurrentContext", "contexts: []\n", ErrorCode::kInvalidArgument,
                   "current-context is not set (use --context or set current-context)"},
        BrokenCase{"CurrentContextNotFound", "current-context: nope\ncontexts: []\n", ErrorCode::kNotFound,
                   "current-context: context \"nope\" not found in contexts"},
        BrokenCase{"NameWithControlCharacters", "current-context: \"a\\nb\"\ncontexts: []\n", ErrorCode::kNotFound,
                   "context \"a?b\" not found"},
        BrokenCase{"GivenContextNotFound", kubeconfig_with(kServer, kGoodUser), ErrorCode::kNotFound,
                   ": context \"other\" not found in contexts", "other"},
        BrokenCase{"ClusterNotFound",
                   "current-context: kind-kind\ncontexts: [{name: kind-kind, context: {cluster: nope}}]\n",
                   ErrorCode::kNotFound, ": contexts[kind-kind]: cluster \"nope\" not found in clusters"},
        BrokenCase{"ContextWithoutCluster", "current-context: c\ncontexts: [{name: c, context: {user: u}}]\n",
                   ErrorCode::kInvalidArgument, ": contexts[c].cluster: not set"},
        BrokenCase{"UserNotFound",
                   "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: nope}}]\n"
                   "clusters: [{name: k, cluster: {server: 'https://k'}}]\n",
                   ErrorCode::kNotFound, ": contexts[c]: user \"nope\" not found in users"},
        BrokenCase{"ContextsNotAList", "current-context: c\ncontexts: {c: d}\n", ErrorCode::kInvalidArgument,
                   ": contexts: not a list"},
        BrokenCase{"ContextEntryNotAMapping", "current-context: c\ncontexts: [c]\n", ErrorCode::kInvalidArgument,
                   ": contexts: entry 1 is not a mapping"},
        BrokenCase{"ContextBodyNotAMapping", "current-context: c\ncontexts: [{name: c, context: x}]\n",
                   ErrorCode::kInvalidArgument, ": contexts[c].context: not a mapping"},
        BrokenCase{"DuplicateClusterNames",
                   "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
                   "clusters: [{name: k, cluster: {server: 'https://a'}}, {name: k, cluster: {server: 'https://b'}}]\n",
                   ErrorCode::kInvalidArgument, ": clusters: duplicate name \"k\""},
        BrokenCase{"ClusterWithoutServer", kubeconfig_with("    insecure-skip-tls-verify: true\n", kGoodUser),
                   ErrorCode::kInvalidArgument, ": clusters[kind].server: not set"},
        BrokenCase{"ServerWithoutScheme", kubeconfig_with("    server: k.example:6443\n", kGoodUser),
                   ErrorCode::kInvalidArgument, ": clusters[kind].server: must start with https:// or http://"},
        BrokenCase{"ServerWithoutHost", kubeconfig_with("    server: https://\n", kGoodUser),
                   ErrorCode::kInvalidArgument, ": clusters[kind].server: no host"},
        BrokenCase{"ServerNotAString", kubeconfig_with("    server: [a]\n", kGoodUser), ErrorCode::kInvalidArgument,
                   ": clusters[kind].server: not a string"},
        BrokenCase{"CaDataNotBase64", kubeconfig_with(kServer + "    certificate-authority-data: '%%%'\n", kGoodUser),
                   ErrorCode::kInvalidArgument, ": clusters[kind].certificate-authority-data: not valid base64"},
        BrokenCase{"CaFileMissing", kubeconfig_with(kServer + "    certificate-authority: ca.crt\n", kGoodUser),
                   ErrorCode::kNotFound, ": clusters[kind].certificate-authority: /"},
        BrokenCase{"InsecureNotABoolean", kubeconfig_with(kServer + "    insecure-skip-tls-verify: maybe\n", kGoodUser),
                   ErrorCode::kInvalidArgument, ": clusters[kind].insecure-skip-tls-verify: not a boolean"},
        BrokenCase{"InsecureWithACertificateAuthority",
                   kubeconfig_with(kServer + "    insecure-skip-tls-verify: true\n    certificate-authority-data: " +
                                       base64_encode(kCaPem) + "\n",
                                   kGoodUser),
                   ErrorCode::kInvalidArgument, ": clusters[kind].insecure-skip-tls-verify: not allowed together"},
        BrokenCase{"ProxyUrl", kubeconfig_with(kServer + "    proxy-url: http://proxy:3128\n", kGoodUser),
                   ErrorCode::kUnimplemented, ": clusters[kind].proxy-url: "},
        BrokenCase{"TlsServerName", kubeconfig_with(kServer + "    tls-server-name: api\n", kGoodUser),
                   ErrorCode::kUnimplemented, ": clusters[kind].tls-server-name: "},
        BrokenCase{"CertDataNotBase64", kubeconfig_with(kServer, "    client-certificate-data: 'a b c !'\n"),
                   ErrorCode::kInvalidArgument, ": users[admin].client-certificate-data: not valid base64"},
        BrokenCase{"KeyDataNotBase64",
                   kubeconfig_with(kServer, "    client-certificate-data: " + base64_encode(kCertPem) +
                                                "\n    client-key-data: 'QUJD!'\n"),
                   ErrorCode::kInvalidArgument, ": users[admin].client-key-data: not valid base64"},
        BrokenCase{"CertFileMissing",
                   kubeconfig_with(kServer, "    client-certificate: c.crt\n    client-key: c.key\n"),
                   ErrorCode::kNotFound, ": users[admin].client-certificate: /"},
        BrokenCase{"KeyFileMissing",
                   kubeconfig_with(kServer, "    client-certificate-data: " + base64_encode(kCertPem) +
                                                "\n    client-key: c.key\n"),
                   ErrorCode::kNotFound, ": users[admin].client-key: cannot read the file it names"},
        BrokenCase{"CertWithoutKey",
                   kubeconfig_with(kServer, "    client-certificate-data: " + base64_encode(kCertPem) + "\n"),
                   ErrorCode::kInvalidArgument, ": users[admin].client-certificate: set without client-key"},
        BrokenCase{"KeyWithoutCert", kubeconfig_with(kServer, "    client-key-data: " + base64_encode(kKeyPem) + "\n"),
                   ErrorCode::kInvalidArgument, ": users[admin].client-key: set without client-certificate"},
        BrokenCase{"TokenNotAString", kubeconfig_with(kServer, "    token: {a: b}\n"), ErrorCode::kInvalidArgument,
                   ": users[admin].token: not a string"},
        BrokenCase{"TokenFileMissing", kubeconfig_with(kServer, "    tokenFile: token\n"), ErrorCode::kNotFound,
                   ": users[admin].tokenFile: cannot read the file it names"},
        BrokenCase{"Exec", kubeconfig_with(kServer, "    exec: {command: aws, apiVersion: v1}\n"),
                   ErrorCode::kUnimplemented, ": users[admin].exec: exec credential plugins are not supported"},
        BrokenCase{"AuthProvider", kubeconfig_with(kServer, "    auth-provider: {name: oidc}\n"),
                   ErrorCode::kUnimplemented, ": users[admin].auth-provider: "},
        BrokenCase{"BasicAuth", kubeconfig_with(kServer, "    username: u\n    password: p\n"),
                   ErrorCode::kUnimplemented, ": users[admin].username: basic authentication is not supported"},
        BrokenCase{"Impersonation", kubeconfig_with(kServer, "    token: t\n    as: someone\n"),
                   ErrorCode::kUnimplemented, ": users[admin].as: impersonation is not supported"},
        BrokenCase{"UserBodyNotAMapping", kubeconfig_with(kServer, "    - a\n"), ErrorCode::kInvalidArgument,
                   ": users[admin].user: not a mapping"}),
    [](const ::testing::TestParamInfo<BrokenCase>& info) { return info.param.name; });

TEST(LoadKubeconfig, DuplicateNamesAreRefusedByName) {
  TempDir dir;
  write_file(dir / "config", kubeconfig_with(kServer, kGoodUser) + "- name: admin\n  user: {token: other}\n");
  auto config = load_kubeconfig(dir / "config");
  EXPECT_THAT(config, HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(message_of(config), HasSubstr(": users: duplicate name \"admin\""));
  EXPECT_THAT(message_of(config), Not(HasSubstr("other")));
}

// ---- key material never reaches a message ----

struct SecretCase {
  std::string name;
  std::string kubeconfig;
  std::optional<ErrorCode> code;     // none: any error (what the file system makes of the name)
  std::string names;                 // the field the message must name
  std::vector<std::string> secrets;  // no 16-byte run of any may appear in the message
};

void PrintTo(const SecretCase& c, std::ostream* os) { *os << c.name; }

class SecretInBrokenKubeconfig : public ::testing::TestWithParam<SecretCase> {};

TEST_P(SecretInBrokenKubeconfig, IsNeverEchoed) {
  const SecretCase& c = GetParam();
  TempDir dir;
  write_file(dir / "client.key", kKeyPem);  // for the rows whose kubeconfig names it
  write_file(dir / "config", c.kubeconfig);
  auto config = load_kubeconfig(dir / "config");
  ASSERT_FALSE(config.ok());
  if (c.code) {
    EXPECT_THAT(config, HasCode(*c.code));
  }
  EXPECT_THAT(message_of(config), HasSubstr(c.names));
  for (const std::string& secret : c.secrets) EXPECT_TRUE(reveals_nothing_of(message_of(config), secret));
}

const std::string kCertData = "    client-certificate-data: " + base64_encode(kCertPem) + "\n";
// Valid base64 of the key with one bad character at the end.
const std::string kBrokenKeyData = base64_encode(kKeyPem) + "!";
const std::string kToken = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.secret-part";

INSTANTIATE_TEST_SUITE_P(
    Secrets, SecretInBrokenKubeconfig,
    ::testing::Values(
        SecretCase{"BrokenKeyData",
                   kubeconfig_with(kServer, kCertData + "    client-key-data: '" + kBrokenKeyData + "'\n"),
                   ErrorCode::kInvalidArgument,
                   "users[admin].client-key-data: not valid base64",
                   {kBrokenKeyData}},
        // Easy mistakes: the PEM, or its base64, put in client-key instead of client-key-data.
        SecretCase{"KeyPemPastedIntoThePathField",
                   kubeconfig_with(kServer, kCertData + "    client-key: " + block(kKeyPem, 6) + "\n"),
                   std::nullopt,
                   "users[admin].client-key: ",
                   {kKeyPem, base64_encode(kKeyPem)}},
        SecretCase{"KeyBase64PastedIntoThePathField",
                   kubeconfig_with(kServer, kCertData + "    client-key: " + base64_encode(kKeyPem) + "\n"),
                   std::nullopt,
                   "users[admin].client-key: ",
                   {kKeyPem, base64_encode(kKeyPem)}},
        SecretCase{"TokenPastedIntoTokenFile",
                   kubeconfig_with(kServer, "    tokenFile: " + kToken + "\n"),
                   ErrorCode::kNotFound,
                   "users[admin].tokenFile: ",
                   {kToken}},
        SecretCase{"KeyFileContentWhenAnotherFieldIsBroken",
                   kubeconfig_with(kServer, "    client-key: client.key\n"),
                   ErrorCode::kInvalidArgument,
                   "users[admin].client-key: set without client-certificate",
                   {kKeyPem}},
        SecretCase{"KeyDataWhenTheYamlIsBroken",
                   inline_kubeconfig() + "  broken: [\n",
                   ErrorCode::kInvalidArgument,
                   ": not YAML: ",
                   {base64_encode(kKeyPem)}}),
    [](const ::testing::TestParamInfo<SecretCase>& info) { return info.param.name; });

// ---- load_in_cluster ----

class InCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_ / "ca.crt", kCaPem);
    write_file(dir_ / "token", "sa-token\n");
  }
  TempDir dir_;
  std::map<std::string, std::string> env_ = {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                                             {"KUBERNETES_SERVICE_PORT", "443"}};
};

TEST_F(InCluster, ReadsHostPortCaAndTheTokensPath) {
  auto config = load_in_cluster(env_, dir_.path());
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->ca_pem, kCaPem);
  EXPECT_EQ(config->bearer_token, "");
  EXPECT_EQ(fs::path(config->bearer_token_file), dir_ / "token");
  EXPECT_EQ(config->source, "in-cluster");
  EXPECT_FALSE(config->insecure_skip_tls_verify);
}

TEST_F(InCluster, BracketsAnIpv6Host) {
  env_["KUBERNETES_SERVICE_HOST"] = "fd00:10:96::1";
  auto config = load_in_cluster(env_, dir_.path());
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->server, "https://[fd00:10:96::1]:443");
}

TEST_F(InCluster, NamesAMissingOrEmptyVariable) {
  for (const std::string variable : {"KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"}) {
    for (const bool empty : {false, true}) {
      auto env = env_;
      if (empty) {
        env[variable] = "";
      } else {
        env.erase(variable);
      }
      auto config = load_in_cluster(env, dir_.path());
      EXPECT_THAT(config, HasCode(ErrorCode::kFailedPrecondition)) << variable;
      EXPECT_THAT(message_of(config), HasSubstr(variable + " is not set")) << variable;
    }
  }
}

TEST_F(InCluster, RefusesAPortThatIsNotANumber) {
  env_["KUBERNETES_SERVICE_PORT"] = "https";
  EXPECT_THAT(load_in_cluster(env_, dir_.path()), HasCode(ErrorCode::kInvalidArgument));
}

TEST_F(InCluster, NamesAMissingCaFile) {
  fs::remove(dir_ / "ca.crt");
  auto config = load_in_cluster(env_, dir_.path());
  EXPECT_THAT(config, HasCode(ErrorCode::kNotFound));
  EXPECT_THAT(message_of(config), HasSubstr((dir_ / "ca.crt").string()));
}

TEST_F(InCluster, NamesAMissingOrEmptyTokenFile) {
  fs::remove(dir_ / "token");
  auto missing = load_in_cluster(env_, dir_.path());
  EXPECT_THAT(missing, HasCode(ErrorCode::kNotFound));
  EXPECT_THAT(message_of(missing), HasSubstr((dir_ / "token").string()));

  write_file(dir_ / "token", "\n");
  auto empty = load_in_cluster(env_, dir_.path());
  EXPECT_THAT(empty, HasCode(ErrorCode::kFailedPrecondition));
  EXPECT_THAT(message_of(empty), HasSubstr((dir_ / "token").string()));
}

// ---- resolve_cluster_config ----

class Resolve : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_ / "sa/ca.crt", kCaPem);
    write_file(dir_ / "sa/token", "sa-token");
    write_kubeconfig(dir_ / "flag/config", "https://flag.example");
    write_kubeconfig(dir_ / "env1/config", "https://env1.example");
    write_kubeconfig(dir_ / "env2/config", "https://env2.example");
    write_kubeconfig(dir_ / "home/.kube/config", "https://home.example");
  }
  static void write_kubeconfig(const fs::path& path, const std::string& server) {
    write_file(path,
               "current-context: c\n"
               "contexts: [{name: c, context: {cluster: k}}]\n"
               "clusters: [{name: k, cluster: {server: '" +
                   server + "'}}]\n");
  }
  Result<ClusterConfig> resolve(const std::string& flag) { return resolve_cluster_config(flag, env_, dir_ / "sa"); }

  TempDir dir_;
  std::map<std::string, std::string> env_ = {
      {"KUBECONFIG", (dir_ / "env1/config").string() + ":" + (dir_ / "env2/config").string()},
      {"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
      {"KUBERNETES_SERVICE_PORT", "443"},
      {"HOME", (dir_ / "home").string()}};
};

TEST_F(Resolve, TheFlagComesFirst) {
  auto config = resolve((dir_ / "flag/config").string());
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->server, "https://flag.example");
}

TEST_F(Resolve, AMissingFlagFileIsAnErrorNotAFallThrough) {
  auto config = resolve((dir_ / "nope").string());
  EXPECT_THAT(config, HasCode(ErrorCode::kNotFound));
  EXPECT_THAT(message_of(config), HasSubstr((dir_ / "nope").string()));
}

TEST_F(Resolve, ThenTheFirstEntryOfKubeconfig) {
  auto config = resolve("");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->server, "https://env1.example");
}

TEST_F(Resolve, EmptyKubeconfigEntriesAreSkipped) {
  env_["KUBECONFIG"] = "::" + (dir_ / "env2/config").string();
  auto config = resolve("");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->server, "https://env2.example");
}

TEST_F(Resolve, AMissingKubeconfigEntryIsAnErrorSayingWhereItCameFrom) {
  env_["KUBECONFIG"] = (dir_ / "nope").string();
  auto config = resolve("");
  EXPECT_THAT(config, HasCode(ErrorCode::kNotFound));
  EXPECT_THAT(message_of(config), HasSubstr("$KUBECONFIG: kubeconfig " + (dir_ / "nope").string()));
}

TEST_F(Resolve, ThenInClusterWhenTheServiceHostIsSet) {
  env_.erase("KUBECONFIG");
  auto config = resolve("");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->source, "in-cluster");
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
}

TEST_F(Resolve, ABrokenInClusterEnvironmentFallsBackToTheHomeKubeconfig) {
  // controller-runtime's loadConfig: a failed in-cluster config goes on to ~/.kube/config.
  env_.erase("KUBECONFIG");
  fs::remove(dir_ / "sa/token");
  auto config = resolve("");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->server, "https://home.example");
}

TEST_F(Resolve, ThenTheHomeKubeconfig) {
  env_.erase("KUBECONFIG");
  env_.erase("KUBERNETES_SERVICE_HOST");
  auto config = resolve("");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->server, "https://home.example");
  EXPECT_THAT(config->source, HasSubstr((dir_ / "home/.kube/config").string()));
}

TEST_F(Resolve, NothingFoundSaysWhatWasTriedOnOneLine) {
  env_.erase("KUBECONFIG");
  env_.erase("KUBERNETES_SERVICE_HOST");
  fs::remove(dir_ / "home/.kube/config");
  auto config = resolve("");
  EXPECT_THAT(config, HasCode(ErrorCode::kFailedPrecondition));
  const std::string message = message_of(config);
  EXPECT_THAT(message, AllOf(HasSubstr("--kubeconfig"), HasSubstr("$KUBECONFIG is not set"),
                             HasSubstr("KUBERNETES_SERVICE_HOST is not set"),
                             HasSubstr((dir_ / "home/.kube/config").string() + " does not exist")));
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST_F(Resolve, NothingFoundIncludesWhyInClusterFailed) {
  env_.erase("KUBECONFIG");
  env_.erase("HOME");
  fs::remove(dir_ / "sa/token");
  auto config = resolve("");
  EXPECT_THAT(config, HasCode(ErrorCode::kFailedPrecondition));
  EXPECT_THAT(message_of(config), AllOf(HasSubstr("in-cluster configuration: " + (dir_ / "sa/token").string()),
                                        HasSubstr("$HOME is not set")));
}

TEST(ProcessEnvironment, ReadsThisProcessesEnvironment) {
  ASSERT_EQ(::setenv("SSO_CLUSTER_CONFIG_TEST", "a=b", 1), 0);
  const auto env = process_environment();
  ::unsetenv("SSO_CLUSTER_CONFIG_TEST");
  const auto it = env.find("SSO_CLUSTER_CONFIG_TEST");
  ASSERT_NE(it, env.end());
  EXPECT_EQ(it->second, "a=b");
}

// ---- BearerTokenSource ----

ClusterConfig with_token(const std::string& token, const fs::path& file) {
  ClusterConfig config;
  config.bearer_token = token;
  config.bearer_token_file = file.string();
  return config;
}

// Moves the file's mtime by `by` from what it was, so tests do not depend on timestamp granularity.
void shift_mtime(const fs::path& path, fs::file_time_type from, std::chrono::seconds by) {
  fs::last_write_time(path, from + by);
}

TEST(BearerTokenSource, ServesTheFixedTokenOrNothing) {
  BearerTokenSource fixed(with_token("abc", ""));
  EXPECT_EQ(fixed.token().value(), "abc");
  BearerTokenSource none(ClusterConfig{});
  auto token = none.token();
  ASSERT_THAT(token, IsOk());
  EXPECT_EQ(*token, "");
}

TEST(BearerTokenSource, TrimsTheFilesWhitespace) {
  TempDir dir;
  write_file(dir / "token", "  abc.def\r\n\n");
  BearerTokenSource source(with_token("", dir / "token"));
  auto token = source.token();
  ASSERT_THAT(token, IsOk());
  EXPECT_EQ(*token, "abc.def");
}

TEST(BearerTokenSource, RereadsTheFileWhenItsMtimeChanges) {
  TempDir dir;
  write_file(dir / "token", "one\n");
  const auto first_mtime = fs::last_write_time(dir / "token");
  BearerTokenSource source(with_token("", dir / "token"));
  EXPECT_EQ(source.token().value(), "one");

  write_file(dir / "token", "two\n");
  shift_mtime(dir / "token", first_mtime, std::chrono::seconds(10));
  EXPECT_EQ(source.token().value(), "two");
}

TEST(BearerTokenSource, DoesNotRereadWhileTheMtimeIsUnchanged) {
  TempDir dir;
  write_file(dir / "token", "one\n");
  const auto mtime = fs::last_write_time(dir / "token");
  BearerTokenSource source(with_token("", dir / "token"));
  EXPECT_EQ(source.token().value(), "one");

  write_file(dir / "token", "two\n");
  fs::last_write_time(dir / "token", mtime);
  EXPECT_EQ(source.token().value(), "one");
}

TEST(BearerTokenSource, KeepsTheLastGoodTokenWhenTheFileGoesAwayOrBreaks) {
  TempDir dir;
  write_file(dir / "token", "one\n");
  const auto mtime = fs::last_write_time(dir / "token");
  BearerTokenSource source(with_token("fixed", dir / "token"));
  EXPECT_EQ(source.token().value(), "one");

  fs::remove(dir / "token");
  EXPECT_EQ(source.token().value(), "one");

  write_file(dir / "token", "\n");  // caught half-written
  shift_mtime(dir / "token", mtime, std::chrono::seconds(10));
  EXPECT_EQ(source.token().value(), "one");

  fs::remove(dir / "token");
  fs::create_directory(dir / "token");  // unreadable as a file, even for root
  shift_mtime(dir / "token", mtime, std::chrono::seconds(20));
  EXPECT_EQ(source.token().value(), "one");

  fs::remove(dir / "token");
  write_file(dir / "token", "three\n");
  shift_mtime(dir / "token", mtime, std::chrono::seconds(30));
  EXPECT_EQ(source.token().value(), "three");
}

TEST(BearerTokenSource, TheFileWinsOverTheFixedTokenOnceRead) {
  TempDir dir;
  BearerTokenSource source(with_token("fixed", dir / "token"));
  EXPECT_EQ(source.token().value(), "fixed");  // no file yet: the fallback
  write_file(dir / "token", "from-file");
  EXPECT_EQ(source.token().value(), "from-file");
}

TEST(BearerTokenSource, WithoutAnyTokenYetNamesTheFile) {
  TempDir dir;
  BearerTokenSource source(with_token("", dir / "token"));
  auto missing = source.token();
  EXPECT_THAT(missing, HasCode(ErrorCode::kNotFound));
  EXPECT_THAT(missing.ok() ? "" : missing.error().describe(), HasSubstr((dir / "token").string()));

  write_file(dir / "token", "   \n");
  auto empty = source.token();
  EXPECT_THAT(empty, HasCode(ErrorCode::kFailedPrecondition));
  EXPECT_THAT(empty.ok() ? "" : empty.error().describe(), HasSubstr((dir / "token").string()));

  write_file(dir / "token", "now\n");
  fs::last_write_time(dir / "token", fs::last_write_time(dir / "token") + std::chrono::seconds(10));
  EXPECT_EQ(source.token().value(), "now");
}

}  // namespace
}  // namespace sso::kube
