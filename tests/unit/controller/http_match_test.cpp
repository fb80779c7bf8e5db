#include "controller/http_match.hpp"

#include <gmock/gmock.h>

namespace sso::controller {

void PrintTo(const HttpMatch& m, std::ostream* out) { *out << (m.exact ? "exact " : "prefix ") << describe(m); }

namespace {

using ::testing::ElementsAre;

HttpMatch prefix(const std::string& path, const std::string& method = "") { return {method, false, path}; }
HttpMatch exact(const std::string& path, const std::string& method = "") { return {method, true, path}; }

TEST(HttpMatches, OfARuleAreEachMethodWithEachPath) {
  EXPECT_THAT(
      matches_of({{"GET", "POST"}, {"/api/*", "/healthz"}}),
      ElementsAre(prefix("/api", "GET"), prefix("/api", "POST"), exact("/healthz", "GET"), exact("/healthz", "POST")));
  EXPECT_THAT(matches_of({{"DELETE"}, {}}), ElementsAre(prefix("/", "DELETE")));
  EXPECT_THAT(matches_of({{}, {"/*"}}), ElementsAre(prefix("/")));
}

TEST(HttpMatches, PrefixesMatchWholePathElements) {
  EXPECT_TRUE(matches_request(prefix("/api"), "GET", "/api"));
  EXPECT_TRUE(matches_request(prefix("/api"), "GET", "/api/orders"));
  EXPECT_FALSE(matches_request(prefix("/api"), "GET", "/apix"));
  EXPECT_TRUE(matches_request(prefix("/"), "PATCH", "/anything"));
  EXPECT_FALSE(matches_request(exact("/api"), "GET", "/api/orders"));
  EXPECT_FALSE(matches_request(prefix("/api", "POST"), "GET", "/api"));
}

TEST(HttpMatches, CoverWhatTheyMatchEntirely) {
  EXPECT_TRUE(covers(prefix("/api"), prefix("/api/orders", "GET")));
  EXPECT_TRUE(covers(prefix("/api"), exact("/api/orders/1")));
  EXPECT_FALSE(covers(prefix("/api", "GET"), prefix("/api/orders")));  // other methods too
  EXPECT_FALSE(covers(prefix("/api/orders"), prefix("/api")));
  EXPECT_FALSE(covers(exact("/api"), prefix("/api")));
  EXPECT_FALSE(covers(prefix("/api"), prefix("/apix")));
}

TEST(HttpMatches, IntersectToTheNarrowerPathAndMethod) {
  EXPECT_EQ(intersect(prefix("/api", "GET"), prefix("/api/orders")), prefix("/api/orders", "GET"));
  EXPECT_EQ(intersect(prefix("/"), exact("/healthz", "HEAD")), exact("/healthz", "HEAD"));
  EXPECT_EQ(intersect(prefix("/api", "GET"), prefix("/api", "POST")), std::nullopt);
  EXPECT_EQ(intersect(prefix("/api"), prefix("/web")), std::nullopt);
}

TEST(HttpMatches, ClosedUnderIntersectionAddsTheMatchesBetween) {
  EXPECT_THAT(closed_under_intersection({prefix("/api", "GET"), prefix("/api/orders"), prefix("/")}),
              ::testing::UnorderedElementsAre(prefix("/"), prefix("/api", "GET"), prefix("/api/orders"),
                                              prefix("/api/orders", "GET")));
}

TEST(HttpMatches, PrecedenceIsExactThenLongestPrefixThenMethod) {
  EXPECT_TRUE(more_specific(exact("/a"), prefix("/a/b/c", "GET")));
  EXPECT_TRUE(more_specific(prefix("/a/b"), prefix("/a", "GET")));
  EXPECT_TRUE(more_specific(prefix("/a", "GET"), prefix("/a")));
  EXPECT_FALSE(more_specific(prefix("/a"), prefix("/a", "GET")));
}

TEST(HttpMatches, DescribeAsRulesWriteThem) {
  EXPECT_EQ(describe(prefix("/api", "GET")), "GET /api/*");
  EXPECT_EQ(describe(prefix("/")), "any method /*");
  EXPECT_EQ(describe(exact("/healthz", "HEAD")), "HEAD /healthz");
}

}  // namespace
}  // namespace sso::controller
