// The Dockerfile, checked against what `make build` builds: no container daemon runs on the
// machines that run these tests, so each stage is checked for what would break the image.
// The build stage must compile the operator with make build's options from only what it
// copies in; the runtime stage must install the package of every shared library the
// operator links (a library added to the build without its runtime package would make the
// image fail at start, in the cluster, not here).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "process.hpp"

namespace {

using ::sso::testing::run_process;
using ::sso::testing::TempDir;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// A Dockerfile's instructions, continuation lines joined, comments dropped, grouped by stage.
struct Stage {
  std::vector<std::string> instructions;  // "RUN apt-get ...", one per instruction

  // The words of every `RUN ... apt-get install ...` after "install", up to the next "&&".
  std::set<std::string> installed_packages() const {
    std::set<std::string> out;
    for (const auto& instruction : instructions) {
      const auto w = words(instruction);
      for (size_t i = 0; i < w.size(); ++i) {
        if (w[i] != "install") continue;
        for (size_t j = i + 1; j < w.size() && w[j] != "&&"; ++j)
          if (!w[j].starts_with("-")) out.insert(w[j]);
      }
    }
    return out;
  }

  // The arguments of each `cmake` command among the RUN instructions.
  std::vector<std::vector<std::string>> cmake_commands() const {
    std::vector<std::vector<std::string>> out;
    for (const auto& instruction : instructions) {
      const auto w = words(instruction);
      for (size_t i = 1; i < w.size(); ++i) {
        if (w[i] != "cmake" || (w[i - 1] != "RUN" && w[i - 1] != "&&")) continue;
        std::vector<std::string> args;
        for (size_t j = i + 1; j < w.size() && w[j] != "&&"; ++j) args.push_back(w[j]);
        out.push_back(args);
      }
    }
    return out;
  }

  std::vector<std::string> with_prefix(const std::string& prefix) const {
    std::vector<std::string> out;
    for (const auto& instruction : instructions)
      if (instruction.starts_with(prefix)) out.push_back(instruction.substr(prefix.size()));
    return out;
  }
};

std::vector<Stage> read_dockerfile(const std::string& path) {
  std::vector<Stage> stages;
  std::istringstream in(read_text(path));
  std::string line, pending;
  while (std::getline(in, line)) {
    if (line.starts_with("#")) continue;
    const bool continues = !line.empty() && line.back() == '\\';
    if (continues) line.pop_back();
    pending += line + " ";
    if (continues) continue;
    const auto first = pending.find_first_not_of(' ');
    if (first != std::string::npos) {
      std::string instruction = pending.substr(first);
      if (instruction.starts_with("FROM ")) stages.emplace_back();
      if (!stages.empty()) stages.back().instructions.push_back(instruction);
    }
    pending.clear();
  }
  return stages;
}

const std::string kSource = SSO_SOURCE_DIR;

class ImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stages_ = read_dockerfile(kSource + "/Dockerfile");
    ASSERT_EQ(stages_.size(), 2u) << "a build stage and a runtime stage";
  }
  const Stage& build() const { return stages_[0]; }
  const Stage& runtime() const { return stages_[1]; }

  std::vector<Stage> stages_;
};

// The -D options of `make build`'s configure line (the Makefile's `configure` target).
std::set<std::string> makefile_cmake_options() {
  std::set<std::string> out;
  std::istringstream in(read_text(kSource + "/Makefile"));
  for (std::string line; std::getline(in, line);) {
    if (line.find("@cmake -S . -B $(BUILD_DIR)") == std::string::npos) continue;
    for (const auto& w : words(line))
      if (w.starts_with("-D")) out.insert(w);
  }
  return out;
}

std::set<std::string> without_test_and_bench(std::set<std::string> options) {
  std::erase_if(options, [](const std::string& o) {
    return o.starts_with("-DSSO_BUILD_TESTS=") || o.starts_with("-DSSO_BUILD_BENCH=");
  });
  return options;
}

TEST_F(ImageTest, BuildStageConfiguresWithMakeBuildsOptions) {
  const auto commands = build().cmake_commands();
  ASSERT_FALSE(commands.empty()) << "the build stage runs cmake";
  std::set<std::string> docker_options;
  for (const auto& w : commands.front())
    if (w.starts_with("-D")) docker_options.insert(w);
  const auto make_options = makefile_cmake_options();
  ASSERT_FALSE(make_options.empty()) << "the Makefile's configure line was not found";
  // The build type too: neither sets one, so both get CMakeLists.txt's default.
  EXPECT_EQ(without_test_and_bench(docker_options), without_test_and_bench(make_options));
  EXPECT_TRUE(docker_options.contains("-DSSO_BUILD_TESTS=OFF"));
}

TEST_F(ImageTest, BuildStageBuildsTheOperatorTarget) {
  const auto commands = build().cmake_commands();
  bool builds_operator = false;
  for (const auto& args : commands) {
    const auto target = std::find(args.begin(), args.end(), "--target");
    if (target != args.end() && std::next(target) != args.end() && *std::next(target) == "secureservice-operator")
      builds_operator = true;
  }
  EXPECT_TRUE(builds_operator);
  const auto copies = runtime().with_prefix("COPY --from=build ");
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_THAT(copies.front(), ::testing::StartsWith("/src/build/src/secureservice-operator "));
}

TEST_F(ImageTest, BuildStageNeedsNoPackageMakeDepsDoesNotInstall) {
  const std::string install_deps = read_text(kSource + "/hack/install-deps.sh");
  for (const auto& package : build().installed_packages())
    EXPECT_TRUE(std::regex_search(install_deps, std::regex("(^|\\s)" + package + "(\\s|$)")))
        << package << " is installed by the Dockerfile's build stage but not by hack/install-deps.sh";
}

TEST_F(ImageTest, BuildStageConfiguresFromOnlyWhatItCopies) {
  TempDir context;
  for (const auto& copy : build().with_prefix("COPY ")) {
    const auto w = words(copy);
    ASSERT_EQ(w.size(), 2u) << copy;
    const std::filesystem::path from = kSource + "/" + w[0];
    const std::filesystem::path to = context.path() + "/" + w[0];
    std::filesystem::create_directories(to.parent_path());
    std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
  }
  const auto commands = build().cmake_commands();
  ASSERT_FALSE(commands.empty());
  std::vector<std::string> argv = {"cmake"};
  for (const auto& w : commands.front()) {
    if (w == "build") {
      argv.push_back(context.path() + "/build");
    } else if (w == ".") {
      argv.push_back(context.path());
    } else {
      argv.push_back(w);
    }
  }
  const auto configured = run_process(argv);
  EXPECT_EQ(configured.exit_code, 0) << configured.out << configured.err;
}

// The Debian package owning each shared library the operator links directly.
std::map<std::string, std::string> linked_library_packages() {
  std::map<std::string, std::string> out;
  const auto ldd = run_process({"ldd", SSO_OPERATOR_BIN});
  std::istringstream in(ldd.out);
  for (std::string line; std::getline(in, line);) {
    const auto w = words(line);
    if (w.size() < 3 || w[1] != "=>") continue;
    std::string owner;
    for (const std::string& candidate : {w[2], "/usr" + w[2], std::filesystem::weakly_canonical(w[2]).string()}) {
      const auto found = run_process({"dpkg", "-S", candidate});
      if (found.exit_code == 0) {
        owner = found.out.substr(0, found.out.find(':'));
        break;
      }
    }
    out[w[0]] = owner;
  }
  return out;
}

std::set<std::string> directly_needed_libraries() {
  std::set<std::string> out;
  const auto readelf = run_process({"readelf", "-d", SSO_OPERATOR_BIN});
  const std::regex needed(R"(\(NEEDED\)\s+Shared library: \[([^\]]+)\])");
  for (std::sregex_iterator it(readelf.out.begin(), readelf.out.end(), needed), end; it != end; ++it)
    out.insert((*it)[1]);
  return out;
}

TEST_F(ImageTest, RuntimeStageInstallsThePackageOfEveryLibraryTheOperatorLinks) {
  // In debian:bookworm-slim already: apt itself depends on them.
  const std::set<std::string> in_base_image = {"libc6", "libstdc++6", "libgcc-s1"};
  const auto installed = runtime().installed_packages();
  const auto owners = linked_library_packages();
  const auto needed = directly_needed_libraries();
  ASSERT_FALSE(needed.empty());
  for (const auto& library : needed) {
    ASSERT_TRUE(owners.contains(library)) << library << " not resolved by ldd";
    const std::string& package = owners.at(library);
    ASSERT_FALSE(package.empty()) << "no Debian package owns " << library;
    EXPECT_TRUE(installed.contains(package) || in_base_image.contains(package))
        << library << " comes from " << package << ", which the runtime stage does not install";
  }
}

TEST_F(ImageTest, RuntimeStageRunsAsANumericNonRootUser) {
  const auto users = runtime().with_prefix("USER ");
  ASSERT_EQ(users.size(), 1u);
  const std::string user = words(users.front()).front();
  EXPECT_TRUE(std::regex_match(user, std::regex("[1-9][0-9]*:[1-9][0-9]*"))) << user;
}

}  // namespace
