#include "base/log.hpp"

#include <atomic>
#include <chrono>
#include <ctime>
#include <iostream>
#include <mutex>
#include <sstream>

namespace sso::log {
namespace {

struct Settings {
  std::mutex mu;
  Format format = Format::kText;
  std::atomic<int> level{static_cast<int>(Level::kInfo)};
  std::ostream* out = &std::cerr;
};

Settings& settings() {
  static Settings s;
  return s;
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

// zap's ISO8601 time with milliseconds, in UTC.
std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

}  // namespace

void configure(Format format, Level level, std::ostream* out) {
  auto& s = settings();
  std::lock_guard lock(s.mu);
  s.format = format;
  s.level = static_cast<int>(level);
  if (out) s.out = out;
}

bool parse_level(std::string_view text, Level* out) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (text == level_name(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

bool parse_format(std::string_view text, Format* out) {
  if (text == "text")
    *out = Format::kText;
  else if (text == "json")
    *out = Format::kJson;
  else
    return false;
  return true;
}

bool enabled(Level level) { return static_cast<int>(level) >= settings().level.load(); }

void write(Level level, std::string_view logger, std::string_view message, std::initializer_list<Field> fields) {
  if (!enabled(level)) return;
  auto& s = settings();
  std::string line;
  const std::string ts = timestamp();
  std::lock_guard lock(s.mu);
  if (s.format == Format::kJson) {
    line = "{\"level\":";
    append_json_string(line, level_name(level));
    line += ",\"ts\":";
    append_json_string(line, ts);
    line += ",\"logger\":";
    append_json_string(line, logger);
    line += ",\"msg\":";
    append_json_string(line, message);
    for (const auto& [k, v] : fields) {
      line += ',';
      append_json_string(line, k);
      line += ':';
      append_json_string(line, v);
    }
    line += "}\n";
  } else {
    std::string upper(level_name(level));
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    line = ts + " " + upper + " " + std::string(logger) + " " + std::string(message);
    for (const auto& [k, v] : fields) {
      line += " " + std::string(k) + "=";
      append_json_string(line, v);
    }
    line += "\n";
  }
  *s.out << line << std::flush;
}

}  // namespace sso::log
