// The HTTP edge (probes, metrics and, in HTTPS, the admission webhooks) against hostile
// clients over real sockets: plain HTTP to the TLS port, a slow-loris trickling its headers,
// a 100 MiB body, oversized headers, garbage, idle kept-alive connections. Each must be cut
// off within its deadline while an honest client on another connection is served at once.
#include "kube/http_server.hpp"

#include <gmock/gmock.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <thread>

#include "pki/tls_credentials.hpp"
#include "pki_fixtures.hpp"
#include "status_matchers.hpp"
#include "tls_http_connection.hpp"

namespace sso::kube {
namespace {

using namespace std::chrono_literals;
using ::sso::testing::IsOk;
using ::sso::testing::TlsHttpConnection;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr const char* kServerName = "edge.test.svc";

// A client that writes raw bytes over plain TCP and reads whatever comes back.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  // false once the server has closed or reset the connection.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Everything until the server closes the connection, or `timeout`.
  std::string read_until_closed(std::chrono::milliseconds timeout) {
    std::string out;
    const auto deadline = Clock::now() + timeout;
    closed_ = false;
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 1))) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  bool closed() const { return closed_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

// Each of `parts` is in `answers`, in this order (pipelined requests answered in turn).
void expect_in_order(const std::string& answers, const std::vector<std::string>& parts) {
  size_t from = 0;
  for (const auto& part : parts) {
    const auto at = answers.find(part, from);
    ASSERT_NE(at, std::string::npos) << "\"" << part << "\" is missing, or out of order, in:\n" << answers;
    from = at + part.size();
  }
}

std::string get(const std::string& path) { return "GET " + path + " HTTP/1.1\r\nHost: edge\r\n\r\n"; }

std::string post(const std::string& path, const std::string& body) {
  return "POST " + path +
         " HTTP/1.1\r\nHost: edge\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

class HttpServerTest : public ::testing::Test {
 protected:
  static constexpr std::chrono::milliseconds kDeadline = 800ms;
  static constexpr size_t kBodyLimit = 64 * 1024;

  // A client writing into a connection the server has cut off gets EPIPE, not a signal.
  static void SetUpTestSuite() { std::signal(SIGPIPE, SIG_IGN); }

  void start(bool tls) {
    if (tls) {
      ASSERT_THAT(credentials_.load(serving_.chain_pem(), serving_.key.to_pkcs8_pem().reveal()), IsOk());
    }
    HttpServerOptions options;
    options.bind_address = "127.0.0.1:0";
    options.tls = tls ? &credentials_ : nullptr;
    options.limits.handshake_timeout = kDeadline;
    options.limits.header_timeout = kDeadline;
    options.limits.body_timeout = kDeadline;
    options.limits.write_timeout = kDeadline;
    options.limits.idle_timeout = 2 * kDeadline;
    options.limits.max_header_bytes = 8 * 1024;
    options.limits.max_body_bytes = kBodyLimit;
    options.on_answered = [this](const std::string&, int status, double) {
      std::lock_guard lock(mu_);
      answered_.push_back(status);
    };
    auto server = HttpServer::start(options, {{"/echo",
                                               {"POST",
                                                [](const ServerRequest& r) {
                                                  return HttpReply{200, "text/plain", r.body};
                                                }}},
                                              {"/ping", {"GET", [](const ServerRequest&) {
                                                           return HttpReply{200, "text/plain", "pong"};
                                                         }}}});
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);
  }

  std::unique_ptr<TlsHttpConnection> tls_connect() {
    auto conn = TlsHttpConnection::open(
        {.port = server_->port(), .server_name = kServerName, .ca_bundle_pem = ca_.certificate().to_pem()});
    EXPECT_THAT(conn, IsOk());
    return conn.ok() ? std::move(*conn) : nullptr;
  }

  // An honest request on a fresh TLS connection: answered, and how long it took.
  std::chrono::milliseconds honest_tls_ping() {
    const auto started = Clock::now();
    auto conn = tls_connect();
    if (!conn) return 1h;
    EXPECT_THAT(conn->send(get("/ping")), IsOk());
    const auto answer = conn->read_response(5s);
    EXPECT_THAT(answer, IsOk());
    if (answer.ok()) {
      EXPECT_EQ(answer->body, "pong");
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  }

  std::chrono::milliseconds honest_plain_ping() {
    const auto started = Clock::now();
    RawClient client(server_->port());
    EXPECT_TRUE(client.send("GET /ping HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n"));
    EXPECT_THAT(client.read_until_closed(5s), HasSubstr("pong"));
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  }

  std::vector<int> answered() {
    std::lock_guard lock(mu_);
    return answered_;
  }

  pki::CertificateAuthority ca_ = testing::make_test_ca(std::chrono::system_clock::now());
  pki::Identity serving_ =
      testing::issue_or_die(ca_, pki::IdentityRequest{.dns_names = {kServerName}, .mode = pki::TlsMode::kServer},
                            std::chrono::system_clock::now());
  pki::ServingCredentials credentials_;
  std::unique_ptr<HttpServer> server_;
  std::mutex mu_;
  std::vector<int> answered_;
};

TEST_F(HttpServerTest, PlainHttpToTheTlsPortIsToldSoAndCutOff) {
  start(true);
  RawClient plain(server_->port());
  ASSERT_TRUE(plain.connected());
  ASSERT_TRUE(plain.send(get("/ping")));
  const std::string answer = plain.read_until_closed(5s);
  EXPECT_THAT(answer, HasSubstr("400 Bad Request"));
  EXPECT_THAT(answer, HasSubstr("Client sent an HTTP request to an HTTPS server."));
  EXPECT_TRUE(plain.closed());
  EXPECT_LT(honest_tls_ping(), 2s);
}

TEST_F(HttpServerTest, GarbageInsteadOfAClientHelloIsCutOff) {
  start(true);
  RawClient garbage(server_->port());
  ASSERT_TRUE(garbage.send(std::string(600, '\x16')));
  garbage.read_until_closed(5s);
  EXPECT_TRUE(garbage.closed());
  EXPECT_LT(honest_tls_ping(), 2s);
}

TEST_F(HttpServerTest, AClientThatNeverHandshakesIsCutOffAtTheHandshakeDeadline) {
  start(true);
  RawClient silent(server_->port());
  ASSERT_TRUE(silent.connected());
  const auto started = Clock::now();
  silent.read_until_closed(5s);
  EXPECT_TRUE(silent.closed());
  EXPECT_GE(Clock::now() - started, kDeadline - 50ms);
  EXPECT_LT(Clock::now() - started, kDeadline + 1s);
}

// A slow-loris sends a header byte every 100 ms, for ever: the header deadline counts from the
// request's first byte, so trickling does not extend it.
TEST_F(HttpServerTest, ASlowLorisIsCutOffAtTheHeaderDeadlineWhileOthersAreServed) {
  start(true);
  auto loris = tls_connect();
  ASSERT_NE(loris, nullptr);
  std::atomic<bool> cut{false};
  const auto started = Clock::now();
  std::thread trickle([&] {
    const std::string headers = "POST /echo HTTP/1.1\r\nHost: edge\r\nX-Padding: " + std::string(1000, 'a');
    for (char c : headers) {
      if (!loris->send(std::string_view(&c, 1)).ok()) break;
      if (loris->closed_by_server(100ms)) break;
      if (Clock::now() - started > 5s) return;
    }
    cut = true;
  });
  // Meanwhile honest clients are answered at once.
  for (int i = 0; i < 3; ++i) EXPECT_LT(honest_tls_ping(), 500ms);
  trickle.join();
  EXPECT_TRUE(cut) << "the slow-loris was never cut off";
  EXPECT_LT(Clock::now() - started, kDeadline + 1s);
}

TEST_F(HttpServerTest, ManySlowLorisesDoNotStarveAnHonestClient) {
  start(false);
  std::vector<std::unique_ptr<RawClient>> lorises;
  for (int i = 0; i < 200; ++i) {
    lorises.push_back(std::make_unique<RawClient>(server_->port()));
    ASSERT_TRUE(lorises.back()->send("GET /ping HTTP/1.1\r\nHost: e"));
  }
  EXPECT_LT(honest_plain_ping(), 500ms);
  for (auto& loris : lorises) loris->read_until_closed(3s);
  for (auto& loris : lorises) EXPECT_TRUE(loris->closed());
}

TEST_F(HttpServerTest, A100MiBDeclaredBodyIsRefusedBeforeItIsReadAndCutOff) {
  start(true);
  auto big = tls_connect();
  ASSERT_NE(big, nullptr);
  const size_t hundred_mib = size_t{100} << 20;
  ASSERT_THAT(
      big->send("POST /echo HTTP/1.1\r\nHost: edge\r\nContent-Length: " + std::to_string(hundred_mib) + "\r\n\r\n"),
      IsOk());
  const auto answer = big->read_response(5s);
  ASSERT_THAT(answer, IsOk());
  EXPECT_EQ(answer->code, 413);
  EXPECT_THAT(answer->body, HasSubstr("limit is " + std::to_string(kBodyLimit) + " bytes"));
  // Sending the body anyway gets nowhere: the server stops reading and closes.
  const std::string megabyte(size_t{1} << 20, 'x');
  size_t sent = 0;
  while (sent < hundred_mib && big->send(megabyte).ok()) sent += megabyte.size();
  EXPECT_LT(sent, hundred_mib) << "the server read the whole 100 MiB";
  EXPECT_LT(honest_tls_ping(), 2s);
  EXPECT_THAT(answered(), ::testing::Contains(413));
}

TEST_F(HttpServerTest, A100MiBChunkedBodyIsCutOffAtTheLimit) {
  start(false);
  RawClient big(server_->port());
  ASSERT_TRUE(big.send("POST /echo HTTP/1.1\r\nHost: edge\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk = "100000\r\n" + std::string(size_t{1} << 20, 'x') + "\r\n";
  std::atomic<size_t> sent{0};
  std::thread sender([&] {
    for (int i = 0; i < 100 && big.send(chunk); ++i) sent += size_t{1} << 20;
  });
  const std::string answer = big.read_until_closed(10s);
  sender.join();
  EXPECT_THAT(answer, HasSubstr("413"));
  EXPECT_TRUE(big.closed());
  EXPECT_LT(sent.load(), size_t{100} << 20) << "the server read the whole 100 MiB";
  EXPECT_LT(honest_plain_ping(), 2s);
}

TEST_F(HttpServerTest, ABodyThatStallsIsAnswered408AtTheBodyDeadline) {
  start(false);
  RawClient stalled(server_->port());
  const auto started = Clock::now();
  ASSERT_TRUE(stalled.send("POST /echo HTTP/1.1\r\nHost: edge\r\nContent-Length: 100\r\n\r\nonly a part"));
  const std::string answer = stalled.read_until_closed(5s);
  EXPECT_THAT(answer, HasSubstr("HTTP/1.1 408"));
  EXPECT_THAT(answer, HasSubstr("request body not received within"));
  EXPECT_TRUE(stalled.closed());
  EXPECT_GE(Clock::now() - started, kDeadline - 50ms);
  EXPECT_THAT(answered(), ::testing::Contains(408));
}

TEST_F(HttpServerTest, OversizedHeadersAre431) {
  start(false);
  RawClient client(server_->port());
  ASSERT_TRUE(client.send("GET /ping HTTP/1.1\r\nHost: edge\r\nX-Big: " + std::string(16 * 1024, 'a') + "\r\n\r\n"));
  EXPECT_THAT(client.read_until_closed(5s), HasSubstr("431 Request Header Fields Too Large"));
  EXPECT_TRUE(client.closed());
}

TEST_F(HttpServerTest, AMalformedRequestIs400AndClosed) {
  start(false);
  RawClient client(server_->port());
  ASSERT_TRUE(client.send("HELLO\x01 there\r\n\r\n"));
  EXPECT_THAT(client.read_until_closed(5s), HasSubstr("400 Bad Request"));
  EXPECT_TRUE(client.closed());
}

TEST_F(HttpServerTest, AnIdleKeptAliveConnectionIsClosedAtTheIdleDeadline) {
  start(true);
  auto conn = tls_connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_THAT(conn->send(get("/ping")), IsOk());
  ASSERT_THAT(conn->read_response(), IsOk());
  const auto started = Clock::now();
  EXPECT_TRUE(conn->closed_by_server(5s));
  EXPECT_GE(Clock::now() - started, 2 * kDeadline - 100ms);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start(false);
  RawClient client(server_->port());
  ASSERT_TRUE(client.send(post("/echo", "first") + post("/echo", "second") +
                          "GET /ping HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n"));
  expect_in_order(client.read_until_closed(5s), {"first", "second", "pong"});
}

TEST_F(HttpServerTest, UnknownPathsAre404AndOtherMethods405WithAllow) {
  start(false);
  RawClient client(server_->port());
  ASSERT_TRUE(client.send(get("/nowhere") + "DELETE /ping HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n"));
  const std::string answers = client.read_until_closed(5s);
  EXPECT_THAT(answers, HasSubstr("HTTP/1.1 404"));
  EXPECT_THAT(answers, HasSubstr("HTTP/1.1 405"));
  EXPECT_THAT(answers, HasSubstr("Allow: GET"));
}

TEST_F(HttpServerTest, StopClosesIdleAndHalfReadConnectionsAtOnce) {
  start(false);
  RawClient idle(server_->port());
  RawClient half(server_->port());
  ASSERT_TRUE(half.send("POST /echo HTTP/1.1\r\nHost: edge\r\nContent-Length: 10\r\n\r\nabc"));
  ASSERT_TRUE(idle.connected());
  std::this_thread::sleep_for(100ms);  // both are being read
  const auto started = Clock::now();
  server_->stop();
  EXPECT_LT(Clock::now() - started, kDeadline);
  idle.read_until_closed(1s);
  half.read_until_closed(1s);
  EXPECT_TRUE(idle.closed());
  EXPECT_TRUE(half.closed());
  EXPECT_THAT(answered(), ::testing::Contains(400)) << "the half-read request is reported as ended";
}

// A server whose answers come later from threads of its own, or stream (the API test
// server's REST and watches).
class ExchangeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { std::signal(SIGPIPE, SIG_IGN); }

  void start(std::map<std::string, HttpRoute> routes) {
    HttpServerOptions options;
    options.bind_address = "127.0.0.1:0";
    options.limits.write_timeout = 2s;
    auto server = HttpServer::start(options, std::move(routes));
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);
  }

  // The exchange the route was last given, waiting for it at most 5 s.
  std::shared_ptr<HttpExchange> take_exchange() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 5s, [&] { return exchange_ != nullptr; });
    return std::exchange(exchange_, nullptr);
  }
  HttpRoute keeping_route(std::string method = "") {
    return {std::move(method), nullptr, [this](ServerRequest request, std::shared_ptr<HttpExchange> exchange) {
              std::lock_guard lock(mu_);
              requests_.push_back(std::move(request));
              exchange_ = std::move(exchange);
              cv_.notify_all();
            }};
  }

  std::unique_ptr<HttpServer> server_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ServerRequest> requests_;
  std::shared_ptr<HttpExchange> exchange_;
};

TEST_F(ExchangeTest, ASubtreeRouteTakesEveryPathUnderItAndTheLongestMatchWins) {
  auto answering = [](std::string text) {
    return HttpRoute{"", [text](const ServerRequest& r) {
                       return HttpReply{200, "text/plain", text + " " + r.method};
                     }};
  };
  start({{"/", answering("root")}, {"/apis/", answering("apis")}, {"/apis/exact", answering("exact")}});
  RawClient client(server_->port());
  ASSERT_TRUE(client.send(get("/api/v1/pods") + "DELETE /apis/x/y HTTP/1.1\r\nHost: edge\r\n\r\n" + get("/apis/exact") +
                          "GET /apis/exact/more HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n"));
  // "apis GET": an exact path does not take the paths under it.
  expect_in_order(client.read_until_closed(5s), {"root GET", "apis DELETE", "exact GET", "apis GET"});
}

TEST_F(ExchangeTest, AnAnswerGivenLaterFromAnotherThreadCarriesItsHeadersAndTheQueryArrives) {
  start({{"/later", keeping_route("GET")}});
  RawClient client(server_->port());
  ASSERT_TRUE(
      client.send("GET /later?labelSelector=a%3Db&limit=5 HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n"));
  auto exchange = take_exchange();
  ASSERT_NE(exchange, nullptr);
  EXPECT_EQ(client.read_until_closed(300ms), "") << "nothing is sent before the answer";
  std::thread([exchange] {
    std::this_thread::sleep_for(100ms);
    exchange->reply({429, "application/json", "{}", {{"Retry-After", "1"}}});
  }).join();
  const std::string answer = client.read_until_closed(5s);
  EXPECT_THAT(answer, HasSubstr("HTTP/1.1 429"));
  EXPECT_THAT(answer, HasSubstr("Retry-After: 1"));
  EXPECT_THAT(answer, HasSubstr("Content-Type: application/json"));
  std::lock_guard lock(mu_);
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_EQ(requests_[0].path, "/later");
  EXPECT_EQ(requests_[0].query, "labelSelector=a%3Db&limit=5");
}

TEST_F(ExchangeTest, AnExchangeDroppedUnansweredAnswers500) {
  start({{"/drop", {"GET", nullptr, [](ServerRequest, std::shared_ptr<HttpExchange>) {}}}});
  RawClient client(server_->port());
  ASSERT_TRUE(client.send("GET /drop HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n"));
  EXPECT_THAT(client.read_until_closed(5s), HasSubstr("HTTP/1.1 500"));
}

TEST_F(ExchangeTest, AStreamSendsEachChunkAsItIsWrittenAndEndsTheConnectionWhenItEnds) {
  start({{"/watch", keeping_route()}});
  RawClient client(server_->port());
  ASSERT_TRUE(client.send(get("/watch")));
  auto exchange = take_exchange();
  ASSERT_NE(exchange, nullptr);
  exchange->start_stream({200, "application/json", "", {{"X-Stream", "yes"}}});
  EXPECT_TRUE(exchange->write("{\"type\":\"ADDED\"}\n"));
  const std::string first = client.read_until_closed(500ms);
  EXPECT_THAT(first, HasSubstr("Transfer-Encoding: chunked"));
  EXPECT_THAT(first, HasSubstr("X-Stream: yes"));
  EXPECT_THAT(first, HasSubstr("{\"type\":\"ADDED\"}\n")) << "the first chunk arrives before the stream ends";
  EXPECT_FALSE(client.closed());
  EXPECT_TRUE(exchange->write(""));  // nothing to send: not the chunk that ends the body
  EXPECT_TRUE(exchange->write("{\"type\":\"DELETED\"}\n"));
  exchange->end_stream();
  const std::string rest = client.read_until_closed(5s);
  EXPECT_TRUE(client.closed());
  EXPECT_THAT(rest, HasSubstr("{\"type\":\"DELETED\"}\n"));
  EXPECT_THAT(rest, ::testing::EndsWith("\r\n0\r\n\r\n"));
  EXPECT_FALSE(exchange->write("late\n"));
}

TEST_F(ExchangeTest, AStreamLearnsItsClientHungUp) {
  start({{"/watch", keeping_route()}});
  auto client = std::make_unique<RawClient>(server_->port());
  ASSERT_TRUE(client->send(get("/watch")));
  auto exchange = take_exchange();
  ASSERT_NE(exchange, nullptr);
  exchange->start_stream({200, "application/json", ""});
  EXPECT_THAT(client->read_until_closed(300ms), HasSubstr("HTTP/1.1 200"));
  client.reset();
  const auto deadline = Clock::now() + 5s;
  while (Clock::now() < deadline && exchange->write("x\n")) std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(exchange->write("x\n"));
}

TEST_F(ExchangeTest, StopEndsAnOpenStream) {
  start({{"/watch", keeping_route()}});
  RawClient client(server_->port());
  ASSERT_TRUE(client.send(get("/watch")));
  auto exchange = take_exchange();
  ASSERT_NE(exchange, nullptr);
  exchange->start_stream({200, "application/json", ""});
  EXPECT_TRUE(exchange->write("x\n"));
  EXPECT_THAT(client.read_until_closed(300ms), HasSubstr("x\n"));
  const auto started = Clock::now();
  server_->stop();
  EXPECT_LT(Clock::now() - started, 2s) << "the exchange still held does not hold up stop()";
  client.read_until_closed(2s);
  EXPECT_TRUE(client.closed());
  EXPECT_FALSE(exchange->write("y\n"));
}

TEST(HttpServer, RefusesBadBindAddressesAndRoutes) {
  auto start = [](const std::string& address, std::map<std::string, HttpRoute> routes = {}) {
    HttpServerOptions options;
    options.bind_address = address;
    return HttpServer::start(std::move(options), std::move(routes));
  };
  EXPECT_THAT(start("9443"), testing::HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(start(":http"), testing::HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(start("nohost:80"), testing::HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(start("127.0.0.1:0", {{"nopath", {"GET", nullptr}}}), testing::HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(start("127.0.0.1:0", {{"/nohandler", {"GET", nullptr}}}), testing::HasCode(ErrorCode::kInvalidArgument));
  const auto reply = [](const ServerRequest&) { return HttpReply{}; };
  const auto serve = [](ServerRequest, std::shared_ptr<HttpExchange>) {};
  EXPECT_THAT(start("127.0.0.1:0", {{"/both", {"GET", reply, serve}}}), testing::HasCode(ErrorCode::kInvalidArgument));
}

TEST(HttpServer, APortInUseIsUnavailable) {
  auto first = HttpServer::start("127.0.0.1:0", {});
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(HttpServer::start("127.0.0.1:" + std::to_string((*first)->port()), {}),
              testing::HasCode(ErrorCode::kUnavailable));
}

}  // namespace
}  // namespace sso::kube
