#include "cli/flags.hpp"

#include "cli/usage.hpp"

namespace sso::cli {

FlagSet::FlagSet(std::string command, std::string arguments, std::string summary)
    : command_(std::move(command)), arguments_(std::move(arguments)), summary_(std::move(summary)) {}

void FlagSet::add_string(const std::string& name, char short_name, std::string* target, std::string help) {
  flags_[name] = Flag{short_name, std::move(help), *target, true, [target](const std::string& v) { *target = v; }};
}

void FlagSet::add_string_list(const std::string& name, char short_name, std::vector<std::string>* target,
                              std::string help) {
  flags_[name] = Flag{short_name, std::move(help), "", true, [target](const std::string& v) { target->push_back(v); }};
}

void FlagSet::add_bool(const std::string& name, bool* target, std::string help) {
  flags_[name] = Flag{0, std::move(help), "", false, [target](const std::string& v) { *target = v != "false"; }};
}

Result<std::vector<std::string>> FlagSet::parse(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional.insert(positional.end(), args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (arg == "--help" || arg == "-h") {
      help_ = true;
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-' || arg == "-") {
      positional.push_back(arg);
      continue;
    }
    std::string name;
    std::optional<std::string> value;
    if (arg[1] == '-') {
      name = arg.substr(2);
      if (const auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
    } else if (arg.size() == 2) {
      for (const auto& [long_name, flag] : flags_)
        if (flag.short_name == arg[1]) name = long_name;
      if (name.empty()) return invalid_argument("unknown flag " + arg);
    } else {
      return invalid_argument("unknown flag " + arg);
    }
    auto it = flags_.find(name);
    if (it == flags_.end()) return invalid_argument("unknown flag --" + name);
    Flag& flag = it->second;
    if (!flag.takes_value) {
      flag.set(value.value_or("true"));
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) return invalid_argument("flag --" + name + " needs a value");
      value = args[++i];
    }
    flag.set(*value);
  }
  return positional;
}

std::string FlagSet::usage() const {
  std::string out = "Usage: secureservice-operator " + command_ + (flags_.empty() ? "" : " [flags]") +
                    (arguments_.empty() ? "" : " " + arguments_) + "\n\n" + summary_ + "\n";
  if (!flags_.empty()) out += "\nFlags:\n";
  for (const auto& [name, flag] : flags_) {
    std::string left = "  ";
    left += flag.short_name != 0 ? std::string("-") + flag.short_name + ", " : "    ";
    left += "--" + name + (flag.takes_value ? " VALUE" : "");
    if (left.size() < 30) left.resize(30, ' ');
    out += left + " " + flag.help;
    if (flag.takes_value && !flag.default_value.empty()) out += " (default \"" + flag.default_value + "\")";
    out += "\n";
  }
  out += "  -h, --help                   show this help\n";
  return out;
}

std::optional<int> parse_or_exit_code(FlagSet& flags, const std::vector<std::string>& args, CommandContext& ctx,
                                      std::vector<std::string>* positional, const ExpectedArguments& expected) {
  auto parsed = flags.parse(args);
  if (!parsed.ok()) return usage_error(ctx, flags.command(), parsed.error().describe());
  if (flags.help_requested()) {
    ctx.out << flags.usage();
    return kExitOk;
  }
  if (parsed->size() != expected.count) {
    return usage_error(ctx, flags.command(),
                       expected.count == 0 ? "unexpected argument \"" + parsed->front() + "\"" : expected.wrong_count);
  }
  if (positional != nullptr) *positional = std::move(*parsed);
  return std::nullopt;
}

}  // namespace sso::cli
