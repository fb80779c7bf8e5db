#pragma once

#include <cstdint>
#include <string>

#include "base/result.hpp"

namespace sso::kube {

// A TCP port on `host` (an IPv4 address; anything else means every interface) that is free
// now, for another process to listen on later (the tests and benchmarks start the operator
// so). It is chosen below the kernel's ephemeral range (net.ipv4.ip_local_port_range): a port
// from that range, which bind(0) hands out, can be given to any outgoing connection before
// the listener binds it. Another process may still take the port first, but none is handed it.
[[nodiscard]] Result<uint16_t> find_free_port(const std::string& host);

// Whether a TCP socket can bind `port` on `host` (as find_free_port reads `host`) now.
bool port_is_free(const std::string& host, uint16_t port);

}  // namespace sso::kube
