#include "kube/api_error.hpp"

#include <gmock/gmock.h>

namespace sso::kube {
namespace {

std::string status(int code, const std::string& reason, const std::string& message = "m") {
  return R"({"kind":"Status","apiVersion":"v1","status":"Failure","code":)" + std::to_string(code) + R"(,"reason":")" +
         reason + R"(","message":")" + message + R"("})";
}

struct Row {
  int http;
  std::string reason;
  ErrorCode code;
  bool (*predicate)(const Error&);
};

TEST(ApiError, MapsEachStatusReasonToWhatTheCallerShouldDo) {
  const std::vector<Row> rows = {
      {404, "NotFound", ErrorCode::kNotFound, is_not_found},
      {409, "AlreadyExists", ErrorCode::kAlreadyExists, is_already_exists},
      {409, "Conflict", ErrorCode::kAborted, is_conflict},
      {410, "Expired", ErrorCode::kFailedPrecondition, is_gone},
      {410, "Gone", ErrorCode::kFailedPrecondition, is_gone},
      {403, "Forbidden", ErrorCode::kPermissionDenied, is_forbidden},
      {422, "Invalid", ErrorCode::kInvalidArgument, is_invalid},
      {429, "TooManyRequests", ErrorCode::kUnavailable, is_too_many_requests},
      {500, "InternalError", ErrorCode::kUnavailable, is_server_error},
      {503, "ServiceUnavailable", ErrorCode::kUnavailable, is_server_error},
      {504, "Timeout", ErrorCode::kDeadlineExceeded, is_server_error},
  };
  for (const auto& row : rows) {
    const Error e = api_error(row.http, status(row.http, row.reason), {}, "get things a/b");
    EXPECT_EQ(e.code(), row.code) << row.reason;
    EXPECT_EQ(e.reason(), row.reason);
    EXPECT_EQ(e.http_status(), row.http);
    EXPECT_TRUE(row.predicate(e)) << row.reason;
  }
}

TEST(ApiError, PredicatesDoNotConfuseConflictWithAlreadyExists) {
  const Error conflict = api_error(409, status(409, "Conflict"), {}, "update");
  EXPECT_FALSE(is_already_exists(conflict));
  const Error exists = api_error(409, status(409, "AlreadyExists"), {}, "create");
  EXPECT_FALSE(is_conflict(exists));
}

TEST(ApiError, DerivesTheReasonFromTheCodeWhenTheBodyIsNotAStatus) {
  const Error e = api_error(404, "404 page not found", {}, "get widgets");
  EXPECT_TRUE(is_not_found(e));
  EXPECT_THAT(e.describe(), ::testing::HasSubstr("404 page not found"));
  const Error proxy = api_error(502, "<html>bad gateway</html>", {}, "list");
  EXPECT_TRUE(is_server_error(proxy));
  EXPECT_EQ(proxy.reason(), "InternalError");
}

TEST(ApiError, CarriesRetryAfterFromTheHeaderOrTheStatusDetails) {
  const Error from_header = api_error(429, status(429, "TooManyRequests"), {{"retry-after", "4"}}, "list");
  EXPECT_EQ(from_header.retry_after(), std::chrono::seconds(4));
  const Error from_details = api_error(
      429, R"({"kind":"Status","code":429,"reason":"TooManyRequests","details":{"retryAfterSeconds":2}})", {}, "list");
  EXPECT_EQ(from_details.retry_after(), std::chrono::seconds(2));
  EXPECT_FALSE(api_error(500, status(500, "InternalError"), {}, "x").retry_after().has_value());
}

TEST(ApiError, NamesTheRequestAndKeepsTheServersMessage) {
  const Error e = api_error(404, status(404, "NotFound", "configmaps a not found"), {}, "get configmaps ns/a");
  EXPECT_EQ(e.describe(), "get configmaps ns/a: configmaps a not found");
}

TEST(ApiError, ReadsAWatchErrorEventsStatus) {
  const Error e = api_error_from_status(500, status(410, "Expired", "too old resource version"), "watch");
  EXPECT_TRUE(is_gone(e));
  EXPECT_EQ(e.http_status(), 410);
}

}  // namespace
}  // namespace sso::kube

namespace sso::kube {
namespace {

// Found by the kube_api fuzz target: a Status whose fields have the wrong types threw.
TEST(ApiError, IgnoresStatusFieldsOfTheWrongType) {
  const Error e = api_error(410, R"({"kind":10,"reason":"Expired","code":"x","details":[]})", {}, "watch");
  EXPECT_TRUE(is_gone(e));
  const Error odd = api_error(
      429, R"({"kind":"Status","reason":7,"message":{},"code":99999,"details":{"retryAfterSeconds":-3}})", {}, "x");
  EXPECT_EQ(odd.http_status(), 429);
  EXPECT_EQ(odd.reason(), "TooManyRequests");
  EXPECT_FALSE(odd.retry_after().has_value());
}

}  // namespace
}  // namespace sso::kube
