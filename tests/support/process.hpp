#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace sso::testing {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

// Runs a program (no shell) with `input` on its stdin and collects stdout and stderr. For
// tests that check the project against real tools (openssl, validate-manifests, kubectl)
// and run the operator's own binary.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = "");

// A program running in the background, its stdout and stderr going to a file, for tests
// of long-running commands (the operator's run). The destructor kills it if still running.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const std::string& output_file);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  void signal(int sig) const;
  // The exit code (128 + signal when killed by one) once it has exited within `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string output() const;

 private:
  int pid_ = -1;
  std::optional<int> exit_code_;
  std::string output_file_;
};

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes a file in the directory and returns its path.
  std::string write(const std::string& name, const std::string& contents) const;
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace sso::testing
