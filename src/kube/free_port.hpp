#pragma once

#include <cstdint>
#include <string>

#include "base/result.hpp"

namespace sso::kube {

// A TCP port on `host` (an IPv4 address; anything else means every interface) that is free
// now. cpprestsdk's listener cannot bind port 0 and say which port it got, so port 0 is
// resolved here first; another process may still take the port before the listener binds it.
[[nodiscard]] Result<uint16_t> find_free_port(const std::string& host);

}  // namespace sso::kube
