#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "base/time.hpp"

namespace sso::kube {
class StopSignal;
}

namespace sso::cli {

// Exit codes: 0 success, 1 the command ran and failed (or found a problem), 2 bad usage.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// What a command may touch, passed in so that tests can run commands in-process.
struct CommandContext {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  const Clock& clock;
  // Long-running commands (run) return once this is notified: SIGTERM in main, a test here.
  const kube::StopSignal* stop = nullptr;
};

int run_ca_create(const std::vector<std::string>& args, CommandContext& ctx);
int run_cert_inspect(const std::vector<std::string>& args, CommandContext& ctx);
int run_check(const std::vector<std::string>& args, CommandContext& ctx);
int run_explain(const std::vector<std::string>& args, CommandContext& ctx);
int run_operator(const std::vector<std::string>& args, CommandContext& ctx);
int run_render(const std::vector<std::string>& args, CommandContext& ctx);
int run_revoke(const std::vector<std::string>& args, CommandContext& ctx);

// Dispatches argv (without the program name) to a command.
int run_command(const std::vector<std::string>& args, CommandContext& ctx);

}  // namespace sso::cli
