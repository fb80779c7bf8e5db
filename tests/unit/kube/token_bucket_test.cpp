#include "kube/token_bucket.hpp"

#include <gmock/gmock.h>

namespace sso::kube {
namespace {

using std::chrono::milliseconds;

TEST(TokenBucket, AllowsABurstThenPacesAtTheRate) {
  TokenBucket bucket(10, 3);
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  EXPECT_EQ(bucket.reserve(t0).count(), 0);
  EXPECT_EQ(bucket.reserve(t0).count(), 0);
  EXPECT_EQ(bucket.reserve(t0).count(), 0);
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(bucket.reserve(t0)), milliseconds(100));
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(bucket.reserve(t0)), milliseconds(200));
}

TEST(TokenBucket, RefillsWithTimeButNeverBeyondTheBurst) {
  TokenBucket bucket(10, 2);
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  bucket.reserve(t0);
  bucket.reserve(t0);
  const auto later = t0 + std::chrono::seconds(60);
  EXPECT_EQ(bucket.reserve(later).count(), 0);
  EXPECT_EQ(bucket.reserve(later).count(), 0);
  EXPECT_GT(bucket.reserve(later).count(), 0) << "only `burst` tokens accumulate";
}

TEST(TokenBucket, ZeroRateMeansUnlimited) {
  TokenBucket bucket(0, 1);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(bucket.reserve(t0).count(), 0);
}

}  // namespace
}  // namespace sso::kube
