#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace sso {

using TimePoint = std::chrono::system_clock::time_point;
using Seconds = std::chrono::seconds;

// Parses a Go duration as Kubernetes and cert-manager fields carry them ("2160h", "1h30m",
// "90s", "1.5h"). Units: ns, us, ms, s, m, h. Negative durations are refused.
Result<std::chrono::nanoseconds> parse_duration(std::string_view text);

// Formats as Go's time.Duration.String() does for whole seconds: "2160h0m0s".
std::string format_duration(std::chrono::nanoseconds d);

// RFC 3339 in UTC with second precision, as metav1.Time serialises: "2026-11-25T19:38:58Z".
std::string format_rfc3339(TimePoint t);
Result<TimePoint> parse_rfc3339(std::string_view text);

// Logic never reads the system clock; it is handed one (a fake in tests).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
};

}  // namespace sso
