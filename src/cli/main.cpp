#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  sso::SystemClock clock;
  sso::cli::CommandContext ctx{std::cin, std::cout, std::cerr, clock};
  try {
    return sso::cli::run_command(args, ctx);
  } catch (const std::exception& e) {
    // Exceptions are programming errors; say so rather than abort without a word.
    std::cerr << "secureservice-operator: internal error: " << e.what() << "\n";
    return 1;
  }
}
