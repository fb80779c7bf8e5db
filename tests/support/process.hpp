#pragma once

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
