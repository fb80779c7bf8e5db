// The admission webhook's HTTPS edge over real TLS connections: a client that speaks
// HTTP/1.1 byte by byte (to control keep-alive, Content-Length and chunking), the
// openssl command line for protocol and cipher checks, and the API test server calling the
// webhook through a ValidatingWebhookConfiguration as kube-apiserver does.
#include "webhook/server.hpp"

#include <gmock/gmock.h>

#include <fstream>
#include <regex>
#include <stdexcept>
#include <thread>

#include "base/base64.hpp"
#include "pki/certificate_authority.hpp"
#include "pki_fixtures.hpp"
#include "process.hpp"
#include "status_matchers.hpp"
#include "test_server_fixture.hpp"
#include "tls_http_connection.hpp"
#include "tls_scan.hpp"

namespace sso::webhook {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::sso::testing::HasCode;
using ::sso::testing::HttpResponse;
using ::sso::testing::IsOk;
using ::sso::testing::TlsHttpConnection;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kServiceName = "webhook.ops.svc";

TimePoint now() { return std::chrono::system_clock::now(); }

// A CA and a serving certificate for webhook.ops.svc, as the operator mints for itself.
struct ServingPki {
  pki::CertificateAuthority ca;
  pki::Identity serving;
};

ServingPki mint_serving_pki(TimePoint at = now(), const std::string& ca_name = "webhook CA") {
  auto ca = testing::make_test_ca(at, {}, ca_name);
  pki::IdentityRequest request;
  request.dns_names = {kServiceName};
  request.mode = pki::TlsMode::kServer;
  auto serving = testing::issue_or_die(ca, request, at);
  return {std::move(ca), std::move(serving)};
}

Status load(pki::ServingCredentials& credentials, const pki::Identity& identity) {
  return credentials.load(identity.chain_pem(), identity.key.to_pkcs8_pem().reveal());
}

json review_of(const HttpResponse& response) { return json::parse(response.body, nullptr, false); }

std::string lowercase(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// TLS to the webhook on `port`, its name verified against `ca` as kube-apiserver does.
Result<std::unique_ptr<TlsHttpConnection>> open_connection(uint16_t port, const pki::Certificate& ca) {
  return TlsHttpConnection::open({.port = port, .server_name = kServiceName, .ca_bundle_pem = ca.to_pem()});
}

std::string peer_fingerprint(const TlsHttpConnection& connection) {
  pki::X509Ptr peer = connection.peer_certificate();
  return peer ? pki::Certificate(std::move(peer)).fingerprint_sha256() : std::string();
}

// Whether the server still holds a connection it accepted on `port` (its socket ESTABLISHED
// or CLOSE_WAIT in /proc/net/tcp): a test that ends with none shows nothing leaked.
bool holds_connections(uint16_t port) {
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  std::getline(tcp, line);  // the header
  while (std::getline(tcp, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    const auto colon = local.find(':');
    if (colon == std::string::npos) continue;
    if (std::stoul(local.substr(colon + 1), nullptr, 16) != port) continue;
    if (state == "01" || state == "08") return true;
  }
  return false;
}

void settle(uint16_t port) {
  EXPECT_TRUE(testing::eventually([&] { return !holds_connections(port); }, 10s))
      << "the server still holds connections on port " << port;
}

std::string http_post(const std::string& path, const std::string& body,
                      const std::string& content_type = "application/json") {
  return "POST " + path + " HTTP/1.1\r\nHost: " + kServiceName + "\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string chunked(const std::string& body, size_t chunk_size) {
  std::string out;
  for (size_t at = 0; at < body.size(); at += chunk_size) {
    const std::string piece = body.substr(at, chunk_size);
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    out += size + piece + "\r\n";
  }
  return out + "0\r\n\r\n";
}

// An AdmissionReview as kube-apiserver sends it for a ConfigMap create.
json config_map_review(const std::string& uid, const json& labels = json::object()) {
  json object = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "settings"}}}};
  if (!labels.empty()) object["metadata"]["labels"] = labels;
  return {{"apiVersion", "admission.k8s.io/v1"},
          {"kind", "AdmissionReview"},
          {"request",
           {{"uid", uid},
            {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "ConfigMap"}}},
            {"resource", {{"group", ""}, {"version", "v1"}, {"resource", "configmaps"}}},
            {"requestKind", {{"group", ""}, {"version", "v1"}, {"kind", "ConfigMap"}}},
            {"requestResource", {{"group", ""}, {"version", "v1"}, {"resource", "configmaps"}}},
            {"name", "settings"},
            {"namespace", "shop"},
            {"operation", "CREATE"},
            {"userInfo", {{"username", "kubernetes-admin"}, {"groups", {"system:masters"}}}},
            {"object", object},
            {"oldObject", nullptr},
            {"dryRun", false},
            {"options", {{"apiVersion", "meta.k8s.io/v1"}, {"kind", "CreateOptions"}}}}}};
}

// Denies config maps without label `approved`.
AdmissionResponse require_approval(const AdmissionRequest& request) {
  const json labels = request.object["metadata"].value("labels", json::object());
  if (!labels.contains("approved")) return deny(request, "MissingApproval", "label approved is missing");
  return allow(request, "Approved");
}

class WebhookServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(load(credentials_, pki_.serving), IsOk());
    start({{"/validate", require_approval},
           {"/forgetful",
            [](const AdmissionRequest&) {
              AdmissionResponse r;  // no uid: the edge fills it in
              r.allowed = true;
              r.decision_reason = "Forgetful";
              return r;
            }},
           {"/throws", [](const AdmissionRequest&) -> AdmissionResponse { throw std::runtime_error("bug"); }}});
  }

  void TearDown() override {
    if (server_) settle(server_->port());
  }

  void start(std::map<std::string, AdmissionHandler> routes) {
    WebhookServerOptions options;
    options.bind_address = "127.0.0.1:0";
    options.max_body_bytes = kLimit;
    options.request_timeout = kTimeout;
    auto server = WebhookServer::start(options, credentials_, std::move(routes), &metrics_);
    ASSERT_TRUE(server.ok()) << server.error().describe();
    server_ = std::move(*server);
  }

  std::unique_ptr<TlsHttpConnection> connect() {
    auto conn = open_connection(server_->port(), pki_.ca.certificate());
    EXPECT_THAT(conn, IsOk());
    return conn.ok() ? std::move(*conn) : nullptr;
  }

  // One request on a fresh connection.
  HttpResponse exchange(const std::string& raw) {
    auto conn = connect();
    if (!conn) return {};
    EXPECT_THAT(conn->send(raw), IsOk());
    auto answer = conn->read_response();
    EXPECT_THAT(answer, IsOk()) << "no answer";
    return answer.ok() ? std::move(*answer) : HttpResponse{};
  }

  testing::ProcessResult s_client(const std::vector<std::string>& extra) {
    testing::TempDir dir;
    const std::string ca = dir.write("ca.pem", pki_.ca.certificate().to_pem());
    std::vector<std::string> argv = {SSO_OPENSSL_BIN,
                                     "s_client",
                                     "-connect",
                                     "127.0.0.1:" + std::to_string(server_->port()),
                                     "-servername",
                                     kServiceName,
                                     "-verify_hostname",
                                     kServiceName,
                                     "-CAfile",
                                     ca,
                                     "-verify_return_error"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return testing::run_process(argv);
  }

  static constexpr size_t kLimit = 16 * 1024;
  static constexpr std::chrono::milliseconds kTimeout = 1000ms;

  ServingPki pki_ = mint_serving_pki();
  pki::ServingCredentials credentials_;
  metrics::Registry registry_;
  metrics::WebhookMetrics metrics_{registry_};
  std::unique_ptr<WebhookServer> server_;
};

TEST_F(WebhookServerTest, AnswersAReviewOverTlsWithTheRequestsUid) {
  const HttpResponse denied = exchange(http_post("/validate", config_map_review("uid-1").dump()));
  ASSERT_EQ(denied.code, 200) << denied.body;
  EXPECT_EQ(denied.header("content-type"), "application/json");
  const json review = review_of(denied);
  EXPECT_EQ(review["apiVersion"], "admission.k8s.io/v1");
  EXPECT_EQ(review["kind"], "AdmissionReview");
  EXPECT_EQ(review["response"]["uid"], "uid-1");
  EXPECT_EQ(review["response"]["allowed"], false);
  EXPECT_EQ(review["response"]["status"]["message"], "label approved is missing");

  const HttpResponse allowed =
      exchange(http_post("/validate", config_map_review("uid-2", {{"approved", "yes"}}).dump()));
  ASSERT_EQ(allowed.code, 200) << allowed.body;
  EXPECT_EQ(review_of(allowed)["response"]["uid"], "uid-2");
  EXPECT_EQ(review_of(allowed)["response"]["allowed"], true);
}

TEST_F(WebhookServerTest, FillsInTheUidAHandlerLeftOut) {
  const HttpResponse answer = exchange(http_post("/forgetful", config_map_review("uid-forgotten").dump()));
  ASSERT_EQ(answer.code, 200) << answer.body;
  EXPECT_EQ(review_of(answer)["response"]["uid"], "uid-forgotten");
}

TEST_F(WebhookServerTest, ServesSeveralRequestsOnOneKeptAliveConnection) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  for (const std::string uid : {"first", "second", "third"}) {
    ASSERT_THAT(conn->send(http_post("/validate", config_map_review(uid).dump())), IsOk());
    const auto answer = conn->read_response();
    ASSERT_THAT(answer, IsOk()) << uid << ": no answer on the same connection";
    EXPECT_EQ(answer->code, 200);
    EXPECT_EQ(review_of(*answer)["response"]["uid"], uid);
    EXPECT_NE(lowercase(answer->header("connection")), "close");
  }
}

TEST_F(WebhookServerTest, RefusesMethodsOtherThanPost) {
  for (const std::string method : {"GET", "PUT", "DELETE", "OPTIONS", "TRACE"}) {
    const HttpResponse answer =
        exchange(method + " /validate HTTP/1.1\r\nHost: " + kServiceName + "\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(answer.code, 405) << method;
    EXPECT_EQ(answer.header("allow"), "POST") << method;
  }
}

TEST_F(WebhookServerTest, AnUnknownPathIsNotFound) {
  const HttpResponse answer = exchange(http_post("/mutate", config_map_review("uid-1").dump()));
  EXPECT_EQ(answer.code, 404);
  EXPECT_EQ(answer.body, "404 page not found\n");
}

TEST_F(WebhookServerTest, RefusesAnotherContentType) {
  const HttpResponse answer = exchange(http_post("/validate", config_map_review("uid-1").dump(), "text/plain"));
  EXPECT_EQ(answer.code, 400);
  const json review = review_of(answer);
  EXPECT_EQ(review["response"]["allowed"], false);
  EXPECT_EQ(review["response"]["status"]["code"], 400);
  EXPECT_EQ(review["response"]["status"]["message"], "contentType=text/plain, expected application/json");
}

TEST_F(WebhookServerTest, RefusesAnEmptyBody) {
  const HttpResponse answer = exchange(http_post("/validate", ""));
  EXPECT_EQ(answer.code, 400);
  EXPECT_EQ(review_of(answer)["response"]["status"]["message"], "request body is empty");
}

TEST_F(WebhookServerTest, RefusesMalformedJsonWithTheDecodersMessage) {
  const HttpResponse answer = exchange(http_post("/validate", "{\"apiVersion\": "));
  EXPECT_EQ(answer.code, 400);
  const json review = review_of(answer);
  ASSERT_TRUE(review.is_object()) << answer.body;
  EXPECT_EQ(review["response"]["allowed"], false);
  EXPECT_EQ(review["response"]["status"]["code"], 400);
  EXPECT_FALSE(review["response"]["status"]["message"].get<std::string>().empty());
  EXPECT_EQ(review["response"]["uid"], "");
}

TEST_F(WebhookServerTest, ARefusedReviewStillCarriesItsUid) {
  json review = config_map_review("uid-no-operation");
  review["request"].erase("operation");
  const HttpResponse answer = exchange(http_post("/validate", review.dump()));
  EXPECT_EQ(answer.code, 400);
  EXPECT_EQ(review_of(answer)["response"]["uid"], "uid-no-operation");
  EXPECT_FALSE(review_of(answer)["response"]["status"]["message"].get<std::string>().empty());
}

TEST_F(WebhookServerTest, ADeclaredLengthOverTheLimitIsRefusedBeforeTheBody) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  // Only the headers: the answer must not wait for a body it will not read.
  ASSERT_THAT(conn->send("POST /validate HTTP/1.1\r\nHost: webhook.ops.svc\r\nContent-Type: application/json\r\n"
                         "Content-Length: " +
                         std::to_string(kLimit + 1) + "\r\n\r\n"),
              IsOk());
  const auto started = std::chrono::steady_clock::now();
  const auto answer = conn->read_response(5s);
  ASSERT_THAT(answer, IsOk());
  EXPECT_EQ(answer->code, 413);
  EXPECT_LT(std::chrono::steady_clock::now() - started, kTimeout) << "answered without waiting for the body";
  EXPECT_EQ(review_of(*answer)["response"]["status"]["code"], 413);
  EXPECT_THAT(review_of(*answer)["response"]["status"]["message"].get<std::string>(),
              HasSubstr("limit is " + std::to_string(kLimit) + " bytes"));
  EXPECT_EQ(lowercase(answer->header("connection")), "close");
  EXPECT_TRUE(conn->closed_by_server());
}

TEST_F(WebhookServerTest, AChunkedBodyOverTheLimitIsRefused) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  json review = config_map_review("uid-big");
  review["request"]["object"]["data"] = {{"blob", std::string(kLimit, 'x')}};
  ASSERT_THAT(conn->send("POST /validate HTTP/1.1\r\nHost: webhook.ops.svc\r\nContent-Type: application/json\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n" +
                         chunked(review.dump(), 1024)),
              IsOk());
  const auto answer = conn->read_response(5s);
  ASSERT_THAT(answer, IsOk());
  EXPECT_EQ(answer->code, 413);
  EXPECT_TRUE(conn->closed_by_server());
}

TEST_F(WebhookServerTest, AChunkedBodyWithinTheLimitIsAnswered) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_THAT(conn->send("POST /validate HTTP/1.1\r\nHost: webhook.ops.svc\r\nContent-Type: application/json\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n" +
                         chunked(config_map_review("uid-chunked").dump(), 100)),
              IsOk());
  const auto answer = conn->read_response();
  ASSERT_THAT(answer, IsOk());
  EXPECT_EQ(answer->code, 200);
  EXPECT_EQ(review_of(*answer)["response"]["uid"], "uid-chunked");
}

TEST_F(WebhookServerTest, ABodyThatNeverArrivesIsAnsweredWithinTheTimeoutAndOthersAreServed) {
  auto slow = connect();
  ASSERT_NE(slow, nullptr);
  const auto started = std::chrono::steady_clock::now();
  ASSERT_THAT(slow->send("POST /validate HTTP/1.1\r\nHost: webhook.ops.svc\r\nContent-Type: application/json\r\n"
                         "Content-Length: 1000\r\n\r\n{\"apiVers"),
              IsOk());

  // While it waits, another connection is answered at once.
  const HttpResponse other = exchange(http_post("/validate", config_map_review("uid-meanwhile").dump()));
  EXPECT_EQ(other.code, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - started, kTimeout);

  const auto answer = slow->read_response(5s);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_THAT(answer, IsOk()) << "no answer to the stalled request";
  EXPECT_EQ(answer->code, 408);
  EXPECT_EQ(lowercase(answer->header("connection")), "close");
  EXPECT_GE(took, kTimeout - 50ms);
  EXPECT_LT(took, kTimeout + 1500ms);
  EXPECT_TRUE(slow->closed_by_server());

  const HttpResponse after = exchange(http_post("/validate", config_map_review("uid-after").dump()));
  EXPECT_EQ(after.code, 200);
}

TEST_F(WebhookServerTest, StoppingEndsARequestStillWaitingForItsBody) {
  auto slow = connect();
  ASSERT_NE(slow, nullptr);
  ASSERT_THAT(slow->send("POST /validate HTTP/1.1\r\nHost: webhook.ops.svc\r\nContent-Type: application/json\r\n"
                         "Content-Length: 1000\r\n\r\n{"),
              IsOk());
  // The request is being read once it is counted in flight.
  ASSERT_TRUE(testing::eventually(
      [&] {
        return registry_.scrape().find("controller_runtime_webhook_requests_in_flight{webhook=\"/validate\"} 1") !=
               std::string::npos;
      },
      5s));
  const auto started = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, kTimeout) << "stop waited for the body's deadline";
  EXPECT_TRUE(slow->closed_by_server());
  EXPECT_THAT(registry_.scrape(), HasSubstr("controller_runtime_webhook_requests_in_flight{webhook=\"/validate\"} 0"));
}

TEST_F(WebhookServerTest, AHandlerThatThrowsIsAServerErrorAndTheServerKeepsServing) {
  const HttpResponse failed = exchange(http_post("/throws", config_map_review("uid-throws").dump()));
  EXPECT_EQ(failed.code, 500);
  EXPECT_EQ(review_of(failed)["response"]["uid"], "uid-throws");
  EXPECT_EQ(review_of(failed)["response"]["allowed"], false);
  EXPECT_THAT(failed.body, Not(HasSubstr("bug")));
  EXPECT_EQ(exchange(http_post("/validate", config_map_review("uid-next").dump())).code, 200);
}

TEST_F(WebhookServerTest, CountsRequestsLatencyAndDecisions) {
  exchange(http_post("/validate", config_map_review("a").dump()));
  exchange(http_post("/validate", config_map_review("b").dump()));
  exchange(http_post("/validate", config_map_review("c", {{"approved", "1"}}).dump()));
  exchange(http_post("/validate", "not json"));
  exchange(http_post("/throws", config_map_review("d").dump()));
  exchange(http_post("/nowhere", config_map_review("e").dump()));
  const std::string text = registry_.scrape();
  EXPECT_THAT(text, HasSubstr("controller_runtime_webhook_requests_total{code=\"200\",webhook=\"/validate\"} 3"));
  EXPECT_THAT(text, HasSubstr("controller_runtime_webhook_requests_total{code=\"400\",webhook=\"/validate\"} 1"));
  EXPECT_THAT(text, HasSubstr("controller_runtime_webhook_requests_total{code=\"500\",webhook=\"/throws\"} 1"));
  EXPECT_THAT(text, HasSubstr("controller_runtime_webhook_requests_total{code=\"200\",webhook=\"/forgetful\"} 0"));
  EXPECT_THAT(text, Not(HasSubstr("/nowhere")));
  EXPECT_THAT(text, HasSubstr("controller_runtime_webhook_latency_seconds_count{webhook=\"/validate\"} 4"));
  EXPECT_THAT(text, HasSubstr("controller_runtime_webhook_requests_in_flight{webhook=\"/validate\"} 0"));
  EXPECT_THAT(text, HasSubstr("secureservice_admission_decisions_total{decision=\"denied\",reason=\"MissingApproval\","
                              "webhook=\"/validate\"} 2"));
  EXPECT_THAT(text, HasSubstr("secureservice_admission_decisions_total{decision=\"allowed\",reason=\"Approved\","
                              "webhook=\"/validate\"} 1"));
}

TEST_F(WebhookServerTest, CountsARequestRefusedOverTheLimit) {
  exchange("POST /validate HTTP/1.1\r\nHost: webhook.ops.svc\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(kLimit * 4) + "\r\n\r\n");
  EXPECT_THAT(registry_.scrape(),
              HasSubstr("controller_runtime_webhook_requests_total{code=\"413\",webhook=\"/validate\"} 1"));
}

TEST_F(WebhookServerTest, AcceptsTls13AndTls12) {
  const auto tls13 = s_client({"-tls1_3"});
  EXPECT_EQ(tls13.exit_code, 0) << tls13.out << tls13.err;
  EXPECT_THAT(tls13.out, HasSubstr("TLSv1.3"));
  EXPECT_THAT(tls13.out, HasSubstr("Verify return code: 0 (ok)"));
  const auto tls12 = s_client({"-tls1_2"});
  EXPECT_EQ(tls12.exit_code, 0) << tls12.out << tls12.err;
  EXPECT_THAT(tls12.out, HasSubstr("TLSv1.2"));
  EXPECT_THAT(tls12.out, HasSubstr("ECDHE-ECDSA-AES"));
}

TEST_F(WebhookServerTest, RefusesTls11) {
  // OpenSSL 3 clients offer TLS 1.1 only at security level 0; ask for it so that the refusal
  // is the server's.
  const auto tls11 = s_client({"-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"});
  EXPECT_NE(tls11.exit_code, 0) << tls11.out;
  EXPECT_THAT(tls11.out, HasSubstr("Cipher is (NONE)"));
  EXPECT_THAT(tls11.err, HasSubstr("alert protocol version"));
}

TEST_F(WebhookServerTest, RefusesWeakTls12Ciphers) {
  for (const std::string cipher :
       {"AES128-SHA", "AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-SHA", "DHE-RSA-AES128-GCM-SHA256"}) {
    const auto weak = s_client({"-tls1_2", "-cipher", cipher});
    EXPECT_NE(weak.exit_code, 0) << cipher << " was accepted:\n" << weak.out;
  }
  const auto strong = s_client({"-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"});
  EXPECT_EQ(strong.exit_code, 0) << strong.out << strong.err;
}

// A real TLS scanner nobody here wrote, against the webhook port. Afterwards the server holds
// no connection of the scan and serves as before.
TEST_F(WebhookServerTest, SslscanFindsOnlyTls12And13WithStrongCiphersAndNothingLeaks) {
  testing::expect_only_modern_tls(server_->port(), kServiceName);
  settle(server_->port());
  EXPECT_EQ(exchange(http_post("/validate", config_map_review("after-scan").dump())).code, 200);
}

TEST_F(WebhookServerTest, ARotatedCertificateIsPresentedByTheNextHandshake) {
  auto before = connect();
  ASSERT_NE(before, nullptr);
  EXPECT_EQ(peer_fingerprint(*before), pki_.serving.leaf().fingerprint_sha256());
  EXPECT_EQ(credentials_.leaf_fingerprint(), pki_.serving.leaf().fingerprint_sha256());

  // Reissued by the same CA, with a new key, as a renewal does.
  pki::IdentityRequest request;
  request.dns_names = {kServiceName};
  request.mode = pki::TlsMode::kServer;
  const pki::Identity renewed = testing::issue_or_die(pki_.ca, request, now());
  ASSERT_THAT(load(credentials_, renewed), IsOk());
  EXPECT_EQ(credentials_.leaf_fingerprint(), renewed.leaf().fingerprint_sha256());

  auto after = connect();
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(peer_fingerprint(*after), renewed.leaf().fingerprint_sha256());
  EXPECT_NE(peer_fingerprint(*after), peer_fingerprint(*before));

  // The connection made before the rotation keeps working.
  ASSERT_THAT(before->send(http_post("/validate", config_map_review("old-connection").dump())), IsOk());
  const auto answer = before->read_response();
  ASSERT_THAT(answer, IsOk());
  EXPECT_EQ(answer->code, 200);
}

TEST(WebhookServer, WithoutACertificateHandshakesFail) {
  pki::ServingCredentials empty;
  WebhookServerOptions options;
  options.bind_address = "127.0.0.1:0";
  auto server = WebhookServer::start(options, empty, {{"/validate", require_approval}}, nullptr);
  ASSERT_TRUE(server.ok()) << server.error().describe();
  const ServingPki pki = mint_serving_pki();
  EXPECT_THAT(open_connection((*server)->port(), pki.ca.certificate()), HasCode(ErrorCode::kUnavailable));

  // Loading one later is enough.
  ASSERT_THAT(load(empty, pki.serving), IsOk());
  EXPECT_THAT(open_connection((*server)->port(), pki.ca.certificate()), IsOk());
  settle((*server)->port());
}

TEST(WebhookServer, RefusesABadBindAddress) {
  pki::ServingCredentials credentials;
  WebhookServerOptions options;
  options.bind_address = "9443";
  EXPECT_THAT(WebhookServer::start(options, credentials, {}, nullptr), HasCode(ErrorCode::kInvalidArgument));
  options.bind_address = ":http";
  EXPECT_THAT(WebhookServer::start(options, credentials, {}, nullptr), HasCode(ErrorCode::kInvalidArgument));
}

TEST(ServingCredentials, HoldsNothingUntilLoaded) {
  pki::ServingCredentials credentials;
  EXPECT_FALSE(credentials.loaded());
  EXPECT_EQ(credentials.leaf_fingerprint(), "");
}

TEST(ServingCredentials, RefusesAKeyThatIsNotTheLeafsWithoutQuotingIt) {
  const ServingPki pki = mint_serving_pki();
  const ServingPki other = mint_serving_pki(now(), "other CA");
  pki::ServingCredentials credentials;
  ASSERT_THAT(load(credentials, pki.serving), IsOk());

  const std::string wrong_key(other.serving.key.to_pkcs8_pem().reveal());
  const auto refused = credentials.load(pki.serving.chain_pem(), wrong_key);
  ASSERT_THAT(refused, HasCode(ErrorCode::kInvalidArgument));
  const std::string text = refused.error().describe();
  EXPECT_THAT(text, HasSubstr("tls.key"));
  EXPECT_THAT(text, Not(HasSubstr("PRIVATE KEY")));
  // Checked without a matcher, which would print the key on failure.
  const std::string key_body = wrong_key.substr(wrong_key.find('\n') + 1, 40);
  EXPECT_TRUE(text.find(key_body) == std::string::npos) << "the error quotes the key";
  // The identity it had is kept.
  EXPECT_EQ(credentials.leaf_fingerprint(), pki.serving.leaf().fingerprint_sha256());
}

TEST(ServingCredentials, NamesTheFieldThatCouldNotBeRead) {
  const ServingPki pki = mint_serving_pki();
  pki::ServingCredentials credentials;
  const std::string key(pki.serving.key.to_pkcs8_pem().reveal());
  const auto no_cert = credentials.load("not a certificate", key);
  ASSERT_THAT(no_cert, HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(no_cert.error().describe(), HasSubstr("tls.crt"));
  const auto no_key =
      credentials.load(pki.serving.chain_pem(), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  ASSERT_THAT(no_key, HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(no_key.error().describe(), HasSubstr("tls.key"));
  EXPECT_FALSE(credentials.loaded());
}

TEST(ServingCredentials, AcceptsAnExpiredLeaf) {
  const auto long_ago = now() - std::chrono::hours(24 * 200);
  const ServingPki old = mint_serving_pki(long_ago);
  ASSERT_LT(old.serving.leaf().not_after(), now());
  pki::ServingCredentials credentials;
  EXPECT_THAT(load(credentials, old.serving), IsOk());
  EXPECT_TRUE(credentials.loaded());
}

}  // namespace
}  // namespace sso::webhook

// The API test server calls the webhook as kube-apiserver would: through a
// ValidatingWebhookConfiguration naming Service ops/webhook, over TLS checked against its
// caBundle, and the user sees the denial.
namespace sso::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class WebhookThroughApiServer : public ApiServerTest {
 protected:
  void SetUp() override {
    ApiServerTest::SetUp();
    auto ca = make_test_ca(std::chrono::system_clock::now(), {}, "webhook CA");
    pki::IdentityRequest request;
    request.dns_names = {"webhook.ops.svc"};
    request.mode = pki::TlsMode::kServer;
    const pki::Identity serving = issue_or_die(ca, request, std::chrono::system_clock::now());
    ca_pem_ = ca.certificate().to_pem();
    ASSERT_TRUE(credentials_.load(serving.chain_pem(), serving.key.to_pkcs8_pem().reveal()).ok());
    webhook::WebhookServerOptions options;
    options.bind_address = "127.0.0.1:0";
    auto started = webhook::WebhookServer::start(options, credentials_, {{"/validate", deny_unapproved}}, nullptr);
    ASSERT_TRUE(started.ok()) << started.error().describe();
    webhook_ = std::move(*started);
    server_->api().admission().map_service("ops", "webhook", webhook_->port());
  }
  void TearDown() override {
    if (!config_.empty()) api().del("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/" + config_);
    if (webhook_) webhook::settle(webhook_->port());
  }

  static webhook::AdmissionResponse deny_unapproved(const webhook::AdmissionRequest& request) {
    const json labels = request.object["metadata"].value("labels", json::object());
    if (!labels.contains("approved"))
      return webhook::deny(request, "MissingApproval", "config maps here need the label approved");
    return webhook::allow(request, "Approved");
  }

  void install() {
    config_ = "sso-" + ns();
    const json webhook = {
        {"name", "configmaps.secureservice.io"},
        {"clientConfig",
         {{"service", {{"namespace", "ops"}, {"name", "webhook"}, {"path", "/validate"}, {"port", 443}}},
          {"caBundle", base64_encode(ca_pem_)}}},
        {"rules",
         {{{"operations", {"CREATE", "UPDATE"}},
           {"apiGroups", {""}},
           {"apiVersions", {"v1"}},
           {"resources", {"configmaps"}},
           {"scope", "Namespaced"}}}},
        {"namespaceSelector", {{"matchLabels", {{"kubernetes.io/metadata.name", ns()}}}}},
        {"sideEffects", "None"},
        {"admissionReviewVersions", {"v1"}},
        {"failurePolicy", "Fail"},
        {"timeoutSeconds", 5}};
    const json config = {{"apiVersion", "admissionregistration.k8s.io/v1"},
                         {"kind", "ValidatingWebhookConfiguration"},
                         {"metadata", {{"name", config_}}},
                         {"webhooks", {webhook}}};
    auto r = api().post("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", config);
    ASSERT_EQ(r.code, 201) << r.body.dump();
  }

  pki::ServingCredentials credentials_;
  std::unique_ptr<webhook::WebhookServer> webhook_;
  std::string ca_pem_;
  std::string config_;
};

TEST_F(WebhookThroughApiServer, ADeniedCreateReachesTheUserWithItsMessage) {
  install();
  auto denied = api().post(ns_path("configmaps"), config_map("plain"));
  // kube-apiserver keeps the webhook's status code (403 from deny()), raising one under 400.
  EXPECT_EQ(denied.code, 403) << denied.body.dump();
  EXPECT_EQ(denied.body["message"],
            "admission webhook \"configmaps.secureservice.io\" denied the request: config maps here need the label "
            "approved");
  EXPECT_EQ(api().get(ns_path("configmaps/plain")).code, 404);
  auto admitted = api().post(ns_path("configmaps"), config_map("approved", {{"k", "v"}}, {{"approved", "yes"}}));
  EXPECT_EQ(admitted.code, 201) << admitted.body.dump();
}

TEST_F(WebhookThroughApiServer, KubectlShowsTheDenial) {
  install();
  TempDir dir;
  const std::string kubeconfig = dir.file("kubeconfig");
  server_->admin_kubeconfig(kubeconfig);
  const auto created = run_process({SSO_KUBECTL_BIN, "--kubeconfig", kubeconfig, "-n", ns(), "create", "configmap",
                                    "settings", "--from-literal=k=v"});
  EXPECT_NE(created.exit_code, 0) << created.out;
  EXPECT_THAT(created.err, HasSubstr("admission webhook \"configmaps.secureservice.io\" denied the request: config "
                                     "maps here need the label approved"));
}

}  // namespace
}  // namespace sso::testing
