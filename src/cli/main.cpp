#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "kube/stop_signal.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  sso::SystemClock clock;
  sso::kube::StopSignal stop;
  // Before any thread starts, so that SIGTERM reaches the handler's thread only.
  if (!args.empty() && args[0] == "run") sso::kube::notify_on_termination_signals(stop);
  sso::cli::CommandContext ctx{std::cin, std::cout, std::cerr, clock, &stop};
  try {
    return sso::cli::run_command(args, ctx);
  } catch (const std::exception& e) {
    // Exceptions are programming errors; say so rather than abort without a word.
    std::cerr << "secureservice-operator: internal error: " << e.what() << "\n";
    return 1;
  }
}
