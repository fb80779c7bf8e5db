#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace sso {

// Standard base64 with padding, as Kubernetes Secret `data` is encoded.
std::string base64_encode(std::string_view bytes);
// Refuses anything but the standard alphabet; ASCII whitespace is skipped, as Go's decoder
// skips newlines.
Result<std::string> base64_decode(std::string_view text);

}  // namespace sso
