#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace sso::cli {

// A command's flags, GNU style: --name value, --name=value, -n value for those with a short
// name, and "--" to end flags. Parsing fails on an unknown flag or a missing value.
class FlagSet {
 public:
  FlagSet(std::string command, std::string arguments, std::string summary);

  void add_string(const std::string& name, char short_name, std::string* target, std::string help);
  void add_bool(const std::string& name, bool* target, std::string help);

  // Sets the targets and returns the positional arguments. "--help"/"-h" sets help_requested().
  Result<std::vector<std::string>> parse(const std::vector<std::string>& args);
  bool help_requested() const { return help_; }
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

}  // namespace sso::cli
