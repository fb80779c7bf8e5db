#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "cli/commands.hpp"

namespace sso::cli {

// A command's flags, GNU style: --name value, --name=value, -n value for those with a short
// name, and "--" to end flags. Parsing fails on an unknown flag or a missing value.
class FlagSet {
 public:
  FlagSet(std::string command, std::string arguments, std::string summary);

  void add_string(const std::string& name, char short_name, std::string* target, std::string help);
  void add_bool(const std::string& name, bool* target, std::string help);
  // A flag that may be given more than once (kubectl's -f): each value is appended.
  void add_string_list(const std::string& name, char short_name, std::vector<std::string>* target, std::string help);

  // Sets the targets and returns the positional arguments. "--help"/"-h" sets help_requested().
  Result<std::vector<std::string>> parse(const std::vector<std::string>& args);
  bool help_requested() const { return help_; }
  const std::string& command() const { return command_; }
  std::string usage() const;

 private:
  struct Flag {
    char short_name = 0;
    std::string help;
    std::string default_value;
    bool takes_value = true;
    std::function<void(const std::string&)> set;
  };
  std::string command_;
  std::string arguments_;
  std::string summary_;
  std::map<std::string, Flag> flags_;
  bool help_ = false;
};

// The positional arguments a command takes: exactly `count`. A command that takes none names
// the first one it got; one that takes some says `wrong_count`.
struct ExpectedArguments {
  size_t count = 0;
  std::string wrong_count;
};

// The start every command shares: parses `args` into `flags`, prints the usage for --help,
// and checks the positional arguments. Returns the exit code when the command ends here
// (kExitOk after --help; kExitUsage after a one-line usage error on ctx.err), or nullopt with
// the positional arguments in `*positional` when it goes on.
[[nodiscard]] std::optional<int> parse_or_exit_code(FlagSet& flags, const std::vector<std::string>& args,
                                                    CommandContext& ctx, std::vector<std::string>* positional = nullptr,
                                                    const ExpectedArguments& expected = {});

}  // namespace sso::cli
