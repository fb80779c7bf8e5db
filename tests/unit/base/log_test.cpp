#include "base/log.hpp"

#include <gmock/gmock.h>

#include <sstream>

namespace sso::log {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override { configure(Format::kText, Level::kInfo, &std::cerr); }
  std::ostringstream out_;
};

TEST_F(LogTest, JsonLinesCarryLevelLoggerMessageAndFields) {
  configure(Format::kJson, Level::kInfo, &out_);
  info("informer", "cache synced", {{"resource", "secrets"}, {"note", "quote \" and\nnewline"}});
  const std::string line = out_.str();
  EXPECT_THAT(line, StartsWith("{\"level\":\"info\",\"ts\":\""));
  EXPECT_THAT(line, HasSubstr("\"logger\":\"informer\",\"msg\":\"cache synced\",\"resource\":\"secrets\""));
  EXPECT_THAT(line, HasSubstr("\"note\":\"quote \\\" and\\nnewline\"}\n"));
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << "one line per entry";
}

TEST_F(LogTest, LevelsBelowTheConfiguredOneAreDropped) {
  configure(Format::kText, Level::kWarn, &out_);
  info("x", "hidden");
  debug("x", "hidden too");
  warn("x", "shown", {{"k", "v"}});
  EXPECT_THAT(out_.str(), ::testing::Not(HasSubstr("hidden")));
  EXPECT_THAT(out_.str(), HasSubstr(" WARN x shown k=\"v\"\n"));
}

TEST_F(LogTest, ParsesFlagValues) {
  Level level;
  Format format;
  EXPECT_TRUE(parse_level("debug", &level));
  EXPECT_EQ(level, Level::kDebug);
  EXPECT_FALSE(parse_level("verbose", &level));
  EXPECT_TRUE(parse_format("json", &format));
  EXPECT_EQ(format, Format::kJson);
  EXPECT_FALSE(parse_format("yaml", &format));
}

}  // namespace
}  // namespace sso::log
