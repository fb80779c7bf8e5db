// Fuzz target: the kubeconfig reader (`--kubeconfig`, $KUBECONFIG, ~/.kube/config), which
// takes YAML a user hands it and the files it names: certificate and key data, token files.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "kube/cluster_config.hpp"

namespace {

// One private directory per process: the kubeconfig is written there, and relative paths
// in it resolve there.
const std::filesystem::path& work_dir() {
  static const std::filesystem::path dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "sso-fuzz-kubeconfig-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    std::ofstream(std::filesystem::path(pattern) / "token") << "a-token\n";
    return std::filesystem::path(pattern);
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // A kubeconfig may name any file to read; a device (/dev/stdin, /dev/tty) or /proc file
  // would block or wander rather than test the reader.
  for (const std::string_view special : {"dev/", "proc/", "sys/"}) {
    if (text.find(special) != std::string_view::npos) return 0;
  }
  const auto path = work_dir() / "config";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  (void)sso::kube::load_kubeconfig(path);
  (void)sso::kube::load_kubeconfig(path, "other");
  return 0;
}
