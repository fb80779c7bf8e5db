#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/flags.hpp"
#include "status_matchers.hpp"

namespace sso::cli {
namespace {

using ::sso::testing::HasCode;
using ::sso::testing::IsOk;
using ::testing::ElementsAre;

struct Parsed {
  std::string name = "default";
  std::string out;
  bool force = false;
};

FlagSet make_flags(Parsed& p) {
  FlagSet flags("test", "FILE", "A test command.");
  flags.add_string("name", 'n', &p.name, "a name");
  flags.add_string("out", 'o', &p.out, "output");
  flags.add_bool("force", &p.force, "force it");
  return flags;
}

TEST(FlagSet, ReadsLongShortEqualsAndPositionals) {
  Parsed p;
  FlagSet flags = make_flags(p);
  auto rest = flags.parse({"a.yaml", "--name", "x", "-o", "json", "--force", "b", "--", "--not-a-flag"});
  ASSERT_THAT(rest, IsOk());
  EXPECT_EQ(p.name, "x");
  EXPECT_EQ(p.out, "json");
  EXPECT_TRUE(p.force);
  EXPECT_THAT(*rest, ElementsAre("a.yaml", "b", "--not-a-flag"));

  Parsed q;
  FlagSet again = make_flags(q);
  ASSERT_THAT(again.parse({"--name=y", "-"}), IsOk());
  EXPECT_EQ(q.name, "y");
}

TEST(FlagSet, RefusesUnknownFlagsAndMissingValues) {
  Parsed p;
  FlagSet flags = make_flags(p);
  EXPECT_THAT(flags.parse({"--nmae", "x"}), HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(flags.parse({"-z"}), HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(flags.parse({"--name"}), HasCode(ErrorCode::kInvalidArgument));
}

TEST(FlagSet, HelpListsEveryFlagWithItsDefault) {
  Parsed p;
  FlagSet flags = make_flags(p);
  ASSERT_THAT(flags.parse({"--help"}), IsOk());
  EXPECT_TRUE(flags.help_requested());
  const std::string usage = flags.usage();
  EXPECT_THAT(usage, ::testing::HasSubstr("--name VALUE"));
  EXPECT_THAT(usage, ::testing::HasSubstr("(default \"default\")"));
  EXPECT_THAT(usage, ::testing::HasSubstr("--force"));
}

}  // namespace
}  // namespace sso::cli
