#include "kube/free_port.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>

namespace sso::kube {
namespace {

// The first port of the kernel's ephemeral range (Linux's default: 32768).
int ephemeral_low() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  return in >> low && low > 1024 ? low : 32768;
}

sockaddr_in address(const std::string& host, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) addr.sin_addr.s_addr = htonl(INADDR_ANY);
  return addr;
}

}  // namespace

bool port_is_free(const std::string& host, uint16_t port) {
  const sockaddr_in addr = address(host, port);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const bool ok = fd >= 0 && bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

Result<uint16_t> find_free_port(const std::string& host) {
  // Up to 16,384 ports below the ephemeral range, tried from a random one so that processes
  // looking at once rarely pick the same.
  const int high = ephemeral_low() - 1;
  const int low = std::max(1025, high - 16383);
  static thread_local std::mt19937 rng{std::random_device{}()};
  const int span = high - low + 1;
  const int start = std::uniform_int_distribution<int>(0, span - 1)(rng);
  for (int i = 0; i < std::min(span, 512); ++i) {
    const auto port = static_cast<uint16_t>(low + (start + i) % span);
    if (port_is_free(host, port)) return port;
  }
  return unavailable("no free port on " + host + " in " + std::to_string(low) + "-" + std::to_string(high));
}

}  // namespace sso::kube
