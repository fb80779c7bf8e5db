#include "base/time.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <limits>

namespace sso {
namespace {

struct Unit {
  std::string_view name;
  double nanoseconds;
};

// Longest names first so that "ms" is not read as "m".
constexpr Unit kUnits[] = {
    {"ns", 1.0}, {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
};

}  // namespace

Result<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  const std::string quoted = "duration \"" + std::string(text.substr(0, 64)) + "\"";
  if (text.empty()) return invalid_argument("empty duration");
  if (text == "0") return std::chrono::nanoseconds(0);
  if (text.front() == '-') return invalid_argument(quoted + " is negative");
  if (text.front() == '+') text.remove_prefix(1);
  double total = 0;
  while (!text.empty()) {
    size_t i = 0;
    bool digits = false;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
      digits = digits || text[i] != '.';
      ++i;
    }
    if (!digits) return invalid_argument(quoted + " is not a duration such as \"2160h\" or \"90m\"");
    const std::string number(text.substr(0, i));
    if (number.find('.') != number.rfind('.')) return invalid_argument(quoted + " has a malformed number");
    text.remove_prefix(i);
    const Unit* unit = nullptr;
    for (const auto& u : kUnits) {
      if (text.substr(0, u.name.size()) == u.name) {
        // "m" must not swallow the "m" of "ms".
        if (u.name == "m" && text.size() > 1 && text[1] == 's') continue;
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return invalid_argument(quoted + " has a missing or unknown unit (use ns, us, ms, s, m or h)");
    text.remove_prefix(unit->name.size());
    // strtod, not stod: 400 digits overflow a double, and stod throws out_of_range for that
    // (and for underflow) where strtod returns inf (refused below) or 0.
    total += std::strtod(number.c_str(), nullptr) * unit->nanoseconds;
    if (total > static_cast<double>(std::numeric_limits<int64_t>::max()))
      return invalid_argument(quoted + " is too long");
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(total)));
}

std::string format_duration(std::chrono::nanoseconds d) {
  if (d.count() == 0) return "0s";
  std::string out;
  if (d.count() < 0) {
    out = "-";
    d = -d;
  }
  const auto total = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  const auto h = total / 3600;
  const auto m = (total % 3600) / 60;
  const auto s = total % 60;
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  out += std::to_string(s) + "s";
  return out;
}

std::string format_rfc3339(TimePoint t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<TimePoint> parse_rfc3339(std::string_view text) {
  std::tm tm{};
  const std::string s(text);
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) return invalid_argument("\"" + s + "\" is not an RFC 3339 time");
  std::string_view rest(end);
  if (!rest.empty() && rest.front() == '.') {  // fractional seconds are dropped
    rest.remove_prefix(1);
    while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest.front()))) rest.remove_prefix(1);
  }
  long offset = 0;
  if (rest == "Z" || rest == "z") {
    offset = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int hh = 0;
    int mm = 0;
    if (std::sscanf(std::string(rest.substr(1)).c_str(), "%2d:%2d", &hh, &mm) != 2)
      return invalid_argument("\"" + s + "\" has a malformed zone offset");
    offset = (hh * 3600L + mm * 60L) * (rest[0] == '-' ? -1 : 1);
  } else {
    return invalid_argument("\"" + s + "\" is not an RFC 3339 time (it needs a zone, such as Z)");
  }
  const std::time_t secs = timegm(&tm) - offset;
  return std::chrono::system_clock::from_time_t(secs);
}

}  // namespace sso
