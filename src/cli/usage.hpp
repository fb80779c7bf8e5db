#pragma once

#include <ostream>
#include <string>

#include "cli/commands.hpp"

namespace sso::cli {

// One line on stderr and exit code 2, as for any bad usage.
inline int usage_error(CommandContext& ctx, const std::string& command, const std::string& message) {
  ctx.err << "secureservice-operator " << command << ": " << message << " (see 'secureservice-operator " << command
          << " --help')\n";
  return kExitUsage;
}

inline int command_error(CommandContext& ctx, const std::string& command, const std::string& message) {
  ctx.err << "secureservice-operator " << command << ": " << message << "\n";
  return kExitFailure;
}

}  // namespace sso::cli
