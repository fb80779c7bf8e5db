#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <sstream>

#include "base/time.hpp"
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

struct PreambleCase {
  std::string name;
  std::vector<std::string> args;
  ExpectedArguments expected;
  std::optional<int> exit_code;
  std::string out;  // what stdout starts with
  std::string err;  // all of stderr
};

void PrintTo(const PreambleCase& c, std::ostream* os) { *os << c.name; }

class ParseOrExitCode : public ::testing::TestWithParam<PreambleCase> {};

TEST_P(ParseOrExitCode, EndsTheCommandOnlyForHelpAndBadUsage) {
  const PreambleCase& c = GetParam();
  Parsed p;
  FlagSet flags = make_flags(p);
  std::istringstream in;
  std::ostringstream out, err;
  SystemClock clock;
  CommandContext ctx{in, out, err, clock};
  std::vector<std::string> positional;
  EXPECT_EQ(parse_or_exit_code(flags, c.args, ctx, &positional, c.expected), c.exit_code);
  EXPECT_THAT(out.str(), ::testing::StartsWith(c.out));
  EXPECT_EQ(err.str(), c.err);
  if (!c.exit_code) {
    EXPECT_EQ(positional.size(), c.expected.count);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Preamble, ParseOrExitCode,
    ::testing::Values(
        PreambleCase{"NoArgumentsGoesOn", {"--force"}, {}, std::nullopt, "", ""},
        PreambleCase{"TheExpectedArgumentsGoOn", {"a.pem"}, {1, "expects one FILE"}, std::nullopt, "", ""},
        PreambleCase{"HelpPrintsTheUsageAndExitsZero",
                     {"--help", "x", "y"},
                     {},
                     kExitOk,
                     "Usage: secureservice-operator test",
                     ""},
        PreambleCase{"AnUnknownFlagIsAUsageError",
                     {"--nmae"},
                     {},
                     kExitUsage,
                     "",
                     "secureservice-operator test: unknown flag --nmae (see 'secureservice-operator test --help')\n"},
        PreambleCase{"AnArgumentWhereNoneIsTakenIsNamed",
                     {"extra"},
                     {},
                     kExitUsage,
                     "",
                     "secureservice-operator test: unexpected argument \"extra\" (see 'secureservice-operator test "
                     "--help')\n"},
        PreambleCase{"TooFewArgumentsSayWhatIsExpected",
                     {},
                     {1, "expects one FILE"},
                     kExitUsage,
                     "",
                     "secureservice-operator test: expects one FILE (see 'secureservice-operator test --help')\n"},
        PreambleCase{"TooManyArgumentsSayWhatIsExpected",
                     {"a", "b"},
                     {1, "expects one FILE"},
                     kExitUsage,
                     "",
                     "secureservice-operator test: expects one FILE (see 'secureservice-operator test --help')\n"}),
    [](const ::testing::TestParamInfo<PreambleCase>& info) { return info.param.name; });

}  // namespace
}  // namespace sso::cli
