#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/base64.hpp"
#include "base/result.hpp"
#include "base/time.hpp"
#include "status_matchers.hpp"

namespace sso {
namespace {

using ::sso::testing::HasCode;
using ::sso::testing::IsOk;
using namespace std::chrono_literals;

TEST(ParseDuration, ReadsGoDurations) {
  struct Row {
    const char* text;
    std::chrono::nanoseconds want;
  };
  for (const Row& row :
       {Row{"2160h", 2160h}, Row{"1h30m", 90min}, Row{"90s", 90s}, Row{"1.5h", 90min}, Row{"500ms", 500ms},
        Row{"0", 0s}, Row{"720h0m0s", 720h}, Row{"+5m", 5min}, Row{"10us", 10us}, Row{"7ns", 7ns}}) {
    auto got = parse_duration(row.text);
    ASSERT_THAT(got, IsOk()) << row.text;
    EXPECT_EQ(*got, row.want) << row.text;
  }
}

TEST(ParseDuration, RefusesMalformedOrNegative) {
  for (const char* text : {"", "h", "10", "10d", "-1h", "1..5h", "1h-5m", "abc", "1hh", "9999999999999h"})
    EXPECT_THAT(parse_duration(text), HasCode(ErrorCode::kInvalidArgument)) << text;
}

// std::stod threw std::out_of_range out of parse_duration (and parse_secure_service) on these.
TEST(ParseDuration, RefusesNumbersTooLargeForADoubleAndReadsTinyOnesAsZero) {
  EXPECT_THAT(parse_duration("1" + std::string(400, '0') + "h"), HasCode(ErrorCode::kInvalidArgument));
  auto tiny = parse_duration("0." + std::string(400, '0') + "1h");
  ASSERT_THAT(tiny, IsOk());
  EXPECT_EQ(tiny->count(), 0);
}

TEST(FormatDuration, MatchesGoDurationString) {
  EXPECT_EQ(format_duration(2160h), "2160h0m0s");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(0s), "0s");
  EXPECT_EQ(format_duration(5min), "5m0s");
}

TEST(Rfc3339, RoundTripsWholeSeconds) {
  const TimePoint t = std::chrono::system_clock::from_time_t(1767225600);
  EXPECT_EQ(format_rfc3339(t), "2026-01-01T00:00:00Z");
  auto back = parse_rfc3339("2026-01-01T00:00:00Z");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(*back, t);
}

TEST(Rfc3339, AppliesOffsetsAndDropsFractions) {
  auto t = parse_rfc3339("2026-01-01T02:00:00.123456+02:00");
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(format_rfc3339(*t), "2026-01-01T00:00:00Z");
  EXPECT_THAT(parse_rfc3339("2026-01-01T00:00:00"), HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(parse_rfc3339("yesterday"), HasCode(ErrorCode::kInvalidArgument));
}

TEST(Base64, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 70; ++i) {
    auto back = base64_decode(base64_encode(bytes));
    ASSERT_THAT(back, IsOk());
    EXPECT_EQ(*back, bytes);
    bytes += static_cast<char>(i * 37);
  }
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
}

TEST(Base64, SkipsWhitespaceAndRefusesOtherAlphabets) {
  auto decoded = base64_decode("aGVs\nbG8=\n");
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, "hello");
  EXPECT_THAT(base64_decode("aGVsbG8"), HasCode(ErrorCode::kInvalidArgument));       // truncated
  EXPECT_THAT(base64_decode("aGVs-G8="), HasCode(ErrorCode::kInvalidArgument));      // URL alphabet
  EXPECT_THAT(base64_decode("aGVsbG8=aa=="), HasCode(ErrorCode::kInvalidArgument));  // data after padding
}

Result<int> parse_positive(int v) {
  if (v <= 0) return invalid_argument("not positive");
  return v;
}

Result<int> doubled(int v) {
  SSO_ASSIGN_OR_RETURN(int x, parse_positive(v), "read input");
  return 2 * x;
}

Status outer(int v) {
  SSO_RETURN_IF_ERROR(doubled(v), "reconcile shop/payments");
  return ok_status();
}

TEST(Result, CarriesValueOrErrorWithContextOutermostFirst) {
  auto ok = doubled(4);
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(*ok, 8);
  auto failed = outer(-1);
  ASSERT_THAT(failed, HasCode(ErrorCode::kInvalidArgument));
  EXPECT_EQ(failed.error().describe(), "reconcile shop/payments: read input: not positive");
}

}  // namespace
}  // namespace sso
