#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pki/pem.hpp"
#include "status_matchers.hpp"

namespace sso::pki {
namespace {

using ::sso::testing::HasCode;
using ::sso::testing::IsOk;

TEST(DecodePemBlocks, FindsBlocksAndIgnoresTextBetweenThem) {
  const std::string input =
      "Bag Attributes: ignored\n-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n"
      "comment\n-----BEGIN PRIVATE KEY-----\nd29ybGQ=\n-----END PRIVATE KEY-----\n";
  auto blocks = decode_pem_blocks(input);
  ASSERT_THAT(blocks, IsOk());
  ASSERT_EQ(blocks->size(), 2u);
  EXPECT_EQ((*blocks)[0].label, "CERTIFICATE");
  EXPECT_EQ((*blocks)[0].der, "hello");
  EXPECT_EQ((*blocks)[1].label, "PRIVATE KEY");
  EXPECT_EQ((*blocks)[1].der, "world");
}

TEST(DecodePemBlocks, RefusesMalformedBlocks) {
  for (const char* input : {
           "-----BEGIN CERTIFICATE-----\naGVsbG8=\n",                             // no END
           "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END PRIVATE KEY-----\n",  // mismatched END
           "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",      // not base64
           "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",            // empty
           "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\naGVsbG8=\n"
           "-----END EC PRIVATE KEY-----\n",                                 // legacy encryption
           "-----BEGIN CERTIFICATE\naGVsbG8=\n-----END CERTIFICATE-----\n",  // broken BEGIN line
       }) {
    EXPECT_THAT(decode_pem_blocks(input), HasCode(ErrorCode::kInvalidArgument)) << input;
  }
}

TEST(DecodePemBlocks, BoundsUntrustedInput) {
  EXPECT_THAT(decode_pem_blocks(std::string(kMaxPemInputBytes + 1, 'a')), HasCode(ErrorCode::kResourceExhausted));
  std::string many;
  for (size_t i = 0; i <= kMaxPemBlocks; ++i) many += "-----BEGIN X-----\naGVsbG8=\n-----END X-----\n";
  EXPECT_THAT(decode_pem_blocks(many), HasCode(ErrorCode::kResourceExhausted));
  const std::string huge = "-----BEGIN X-----\n" + std::string(kMaxPemBlockBytes, 'A') + "\n-----END X-----\n";
  EXPECT_THAT(decode_pem_blocks(huge), HasCode(ErrorCode::kResourceExhausted));
}

}  // namespace
}  // namespace sso::pki
