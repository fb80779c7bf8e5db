// /metrics as the chart serves it (--metrics-secure, the default): over TLS that sslscan finds
// modern, and only to bearer tokens the API test server authenticates (TokenReview) and
// authorizes to get /metrics (SubjectAccessReview, RBAC's nonResourceURLs), with
// controller-runtime's answers and caching. Plain HTTP for anyone with --metrics-secure=false.
#include "kube/metrics_endpoint.hpp"

#include <gmock/gmock.h>

#include "http_get.hpp"
#include "kube/rest_client.hpp"
#include "status_matchers.hpp"
#include "test_server_fixture.hpp"
#include "tls_scan.hpp"

namespace sso::kube {
namespace {

using nlohmann::json;
using sso::testing::ApiServerTest;
using sso::testing::IsOk;
using ::testing::HasSubstr;

constexpr const char* kMetrics = "# TYPE up gauge\nup 1\n";

using Reply = sso::testing::HttpGetReply;

// A scrape as Prometheus makes it with the chart's ServiceMonitor: HTTPS without verifying the
// self-signed certificate, and the bearer token (none when empty).
Reply scrape(const std::string& scheme, uint16_t port, const std::string& token) {
  return sso::testing::http_get(scheme + "://127.0.0.1:" + std::to_string(port) + "/metrics", token);
}

class MetricsEndpointTest : public ApiServerTest {
 protected:
  void SetUp() override {
    ApiServerTest::SetUp();
    if (HasFatalFailure()) return;
    RestClient::Options options;
    options.max_retries = 0;  // a review that fails fails at once
    auto client = RestClient::create(admin_config(), options);
    ASSERT_THAT(client, IsOk());
    client_ = std::move(*client);
  }
  void TearDown() override { endpoint_.reset(); }

  void start(bool secure) {
    auto endpoint = MetricsEndpoint::start("127.0.0.1:0", secure, *client_, [] { return std::string(kMetrics); });
    ASSERT_THAT(endpoint, IsOk());
    endpoint_ = std::move(*endpoint);
  }
  Reply scrape_with(const std::string& token) { return scrape("https", endpoint_->port(), token); }

  // A token of the service account NAME in this test's namespace, bound (when `reader`) to a
  // ClusterRole allowing get on /metrics, as the chart's metrics-reader ClusterRole does.
  std::string service_account_token(const std::string& name, bool reader) {
    if (reader) {
      const std::string role = "metrics-reader-" + ns();
      api().post(
          "/apis/rbac.authorization.k8s.io/v1/clusterroles",
          {{"metadata", {{"name", role}}}, {"rules", {{{"nonResourceURLs", {"/metrics"}}, {"verbs", {"get"}}}}}});
      EXPECT_EQ(
          api()
              .post("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                    {{"metadata", {{"name", role + "-" + name}}},
                     {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", role}}},
                     {"subjects", {{{"kind", "ServiceAccount"}, {"name", name}, {"namespace", ns()}}}}})
              .code,
          201);
    }
    return server_->service_account_token(ns(), name);
  }
  size_t reviews(const std::string& resource) {
    size_t n = 0;
    for (const auto& r : server_->api().request_log().snapshot())
      if (r.resource == resource && r.verb == "create") ++n;
    return n;
  }

  std::unique_ptr<RestClient> client_;
  std::unique_ptr<MetricsEndpoint> endpoint_;
};

TEST_F(MetricsEndpointTest, OnlyTokensAllowedToGetMetricsAreServed) {
  start(true);
  const Reply none = scrape_with("");
  EXPECT_EQ(none.code, 401);
  EXPECT_EQ(none.body, "Unauthorized\n");
  EXPECT_EQ(scrape_with("not-a-token").code, 401);

  const Reply unbound = scrape_with(service_account_token("nobody", false));
  EXPECT_EQ(unbound.code, 403);
  EXPECT_EQ(unbound.body, "Authorization denied for user system:serviceaccount:" + ns() + ":nobody\n");

  const Reply reader = scrape_with(service_account_token("prometheus", true));
  EXPECT_EQ(reader.code, 200);
  EXPECT_EQ(reader.body, kMetrics);
  EXPECT_EQ(scrape_with(server_->admin_token()).code, 200) << "system:masters may get anything";
  const Reply plain = scrape("http", endpoint_->port(), server_->admin_token());
  EXPECT_EQ(plain.code, 400)
      << "no plain HTTP on the TLS port (Go's \"Client sent an HTTP request to an HTTPS server\")";
  EXPECT_THAT(plain.body, ::testing::Not(HasSubstr("up 1")));
}

TEST_F(MetricsEndpointTest, ReviewsAreCachedAndAFailedReviewIsNot) {
  start(true);
  const std::string token = service_account_token("prometheus", true);
  const size_t tokens_before = reviews("tokenreviews");
  const size_t access_before = reviews("subjectaccessreviews");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(scrape_with(token).code, 200);
  EXPECT_EQ(reviews("tokenreviews") - tokens_before, 1u) << "a token is reviewed once a minute";
  EXPECT_EQ(reviews("subjectaccessreviews") - access_before, 1u) << "an allow is kept five minutes";

  const std::string other = service_account_token("other-scraper", true);
  server_->faults().fail_next("create", "tokenreviews", 1, 500);
  const Reply failed = scrape_with(other);
  EXPECT_EQ(failed.code, 500);
  EXPECT_EQ(failed.body, "Authentication failed\n");
  EXPECT_EQ(scrape_with(other).code, 200) << "the failure was not cached";
  server_->faults().fail_next("create", "subjectaccessreviews", 1, 500);
  const Reply unauthorized = scrape_with(service_account_token("third-scraper", true));
  EXPECT_EQ(unauthorized.code, 500);
  EXPECT_EQ(unauthorized.body, "Authorization for user system:serviceaccount:" + ns() + ":third-scraper failed\n");
}

TEST_F(MetricsEndpointTest, SslscanFindsOnlyTls12And13WithStrongCiphers) {
  start(true);
  sso::testing::expect_only_modern_tls(endpoint_->port());
  EXPECT_EQ(scrape_with(server_->admin_token()).code, 200) << "and it serves as before";
}

TEST_F(MetricsEndpointTest, InsecureServesPlainHttpToAnyone) {
  start(false);
  const Reply plain = scrape("http", endpoint_->port(), "");
  EXPECT_EQ(plain.code, 200);
  EXPECT_EQ(plain.body, kMetrics);
}

}  // namespace
}  // namespace sso::kube
