#pragma once

#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace sso::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kText, kJson };

// A structured field. Values are strings; callers format numbers themselves. Never put key
// material in a field: SecretBytes has no conversion to string for that reason.
using Field = std::pair<std::string_view, std::string>;

// Process-wide settings (--log-format, --log-level), set once at start-up; the default is
// text at info to stderr.
void configure(Format format, Level level, std::ostream* out = nullptr);
bool parse_level(std::string_view text, Level* out);    // debug|info|warn|error
bool parse_format(std::string_view text, Format* out);  // text|json
bool enabled(Level level);

// One line per call. JSON as zap's production encoder writes it (controller-runtime's
// default): {"level":"info","ts":"2026-11-25T20:01:02.123Z","logger":"informer","msg":"...","key":"value"}.
// Text: 2026-11-25T20:01:02.123Z INFO informer msg key="value".
void write(Level level, std::string_view logger, std::string_view message, std::initializer_list<Field> fields = {});

inline void debug(std::string_view logger, std::string_view msg, std::initializer_list<Field> f = {}) {
  write(Level::kDebug, logger, msg, f);
}
inline void info(std::string_view logger, std::string_view msg, std::initializer_list<Field> f = {}) {
  write(Level::kInfo, logger, msg, f);
}
inline void warn(std::string_view logger, std::string_view msg, std::initializer_list<Field> f = {}) {
  write(Level::kWarn, logger, msg, f);
}
inline void error(std::string_view logger, std::string_view msg, std::initializer_list<Field> f = {}) {
  write(Level::kError, logger, msg, f);
}

}  // namespace sso::log
