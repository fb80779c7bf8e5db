#include "apiserver/cel_value.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace sso::apiserver::cel {

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = Kind::Bool;
  v.b_ = b;
  return v;
}
Value Value::integer(int64_t i) {
  Value v;
  v.kind_ = Kind::Int;
  v.i_ = i;
  return v;
}
Value Value::unsigned_integer(uint64_t u) {
  Value v;
  v.kind_ = Kind::Uint;
  v.u_ = u;
  return v;
}
Value Value::real(double d) {
  Value v;
  v.kind_ = Kind::Double;
  v.d_ = d;
  return v;
}
Value Value::string(std::string s) {
  Value v;
  v.kind_ = Kind::String;
  v.s_ = std::move(s);
  return v;
}
Value Value::bytes(std::string s) {
  Value v = string(std::move(s));
  v.kind_ = Kind::Bytes;
  return v;
}
Value Value::list(List items) {
  Value v;
  v.kind_ = Kind::List;
  v.list_ = std::make_shared<const List>(std::move(items));
  return v;
}
Value Value::map(Map entries) {
  Value v;
  v.kind_ = Kind::Map;
  v.map_ = std::make_shared<const Map>(std::move(entries));
  return v;
}
Value Value::duration(int64_t nanos) {
  Value v = integer(nanos);
  v.kind_ = Kind::Duration;
  return v;
}
Value Value::timestamp(int64_t nanos) {
  Value v = integer(nanos);
  v.kind_ = Kind::Timestamp;
  return v;
}
Value Value::type(std::string name) {
  Value v = string(std::move(name));
  v.kind_ = Kind::Type;
  return v;
}
Value Value::error(std::string message) {
  Value v = string(std::move(message));
  v.kind_ = Kind::Error;
  return v;
}

const Value* Value::find(const Value& key) const {
  if (kind_ != Kind::Map) return nullptr;
  for (const auto& [k, v] : *map_)
    if (equal(k, key)) return &v;
  return nullptr;
}

std::string Value::type_name() const {
  switch (kind_) {
    case Kind::Null: return "null_type";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Uint: return "uint";
    case Kind::Double: return "double";
    case Kind::String: return "string";
    case Kind::Bytes: return "bytes";
    case Kind::List: return "list";
    case Kind::Map: return "map";
    case Kind::Duration: return "google.protobuf.Duration";
    case Kind::Timestamp: return "google.protobuf.Timestamp";
    case Kind::Type: return "type";
    case Kind::Error: return "error";
  }
  return "unknown";
}

nlohmann::json Value::to_json() const {
  switch (kind_) {
    case Kind::Null: return nullptr;
    case Kind::Bool: return b_;
    case Kind::Int: return i_;
    case Kind::Uint: return u_;
    case Kind::Double: return d_;
    case Kind::String:
    case Kind::Bytes:
    case Kind::Type:
    case Kind::Error: return s_;
    case Kind::Duration: return format_cel_duration(i_);
    case Kind::Timestamp: return format_timestamp(i_);
    case Kind::List: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : *list_) out.push_back(item.to_json());
      return out;
    }
    case Kind::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [k, v] : *map_) out[k.is(Kind::String) ? k.s_ : k.to_json().dump()] = v.to_json();
      return out;
    }
  }
  return nullptr;
}

namespace {

bool numeric(const Value& v) { return v.is(Value::Kind::Int) || v.is(Value::Kind::Uint) || v.is(Value::Kind::Double); }

// Compares numbers of any of the three types by value, as cel-go's cross-type comparisons.
std::optional<int> compare_numbers(const Value& a, const Value& b) {
  using K = Value::Kind;
  auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  if (a.is(K::Double) || b.is(K::Double)) {
    const double x = a.is(K::Double) ? a.as_double() : a.is(K::Int) ? double(a.as_int()) : double(a.as_uint());
    const double y = b.is(K::Double) ? b.as_double() : b.is(K::Int) ? double(b.as_int()) : double(b.as_uint());
    if (std::isnan(x) || std::isnan(y)) return std::nullopt;
    return sign(x, y);
  }
  if (a.is(K::Int) && b.is(K::Int)) return sign(a.as_int(), b.as_int());
  if (a.is(K::Uint) && b.is(K::Uint)) return sign(a.as_uint(), b.as_uint());
  if (a.is(K::Int)) return a.as_int() < 0 ? -1 : sign(uint64_t(a.as_int()), b.as_uint());
  return b.as_int() < 0 ? 1 : sign(a.as_uint(), uint64_t(b.as_int()));
}

}  // namespace

bool equal(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (numeric(a) && numeric(b)) return compare_numbers(a, b) == 0;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case K::Null: return true;
    case K::Bool: return a.as_bool() == b.as_bool();
    case K::String:
    case K::Bytes:
    case K::Type: return a.as_string() == b.as_string();
    case K::Duration:
    case K::Timestamp: return a.as_int() == b.as_int();
    case K::List: {
      if (a.as_list().size() != b.as_list().size()) return false;
      for (size_t i = 0; i < a.as_list().size(); ++i)
        if (!equal(a.as_list()[i], b.as_list()[i])) return false;
      return true;
    }
    case K::Map: {
      if (a.as_map().size() != b.as_map().size()) return false;
      for (const auto& [k, v] : a.as_map()) {
        const Value* other = b.find(k);
        if (other == nullptr || !equal(v, *other)) return false;
      }
      return true;
    }
    default: return false;
  }
}

std::optional<int> compare(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (numeric(a) && numeric(b)) return compare_numbers(a, b);
  if (a.kind() != b.kind()) return std::nullopt;
  switch (a.kind()) {
    case K::Bool: return int(a.as_bool()) - int(b.as_bool());
    case K::String:
    case K::Bytes: {
      const int c = a.as_string().compare(b.as_string());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case K::Duration:
    case K::Timestamp: return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
    default: return std::nullopt;
  }
}

std::optional<int64_t> parse_go_duration(const std::string& input) {
  std::string_view text = input;
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text == "0") return 0;
  if (text.empty()) return std::nullopt;
  struct Unit {
    std::string_view name;
    double nanos;
  };
  static constexpr Unit kUnits[] = {{"ns", 1.0}, {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"\xCE\xBCs", 1e3},
                                    {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9}};
  double total = 0;
  while (!text.empty()) {
    size_t i = 0;
    bool digits = false;
    size_t dots = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
      digits = digits || text[i] != '.';
      dots += text[i] == '.';
      ++i;
    }
    if (!digits || dots > 1) return std::nullopt;
    const double number = std::stod(std::string(text.substr(0, i)));
    text.remove_prefix(i);
    const Unit* unit = nullptr;
    for (const auto& u : kUnits) {
      if (text.substr(0, u.name.size()) != u.name) continue;
      if (u.name == "m" && text.size() > 1 && text[1] == 's') continue;  // "ms"
      unit = &u;
      break;
    }
    if (unit == nullptr) return std::nullopt;
    text.remove_prefix(unit->name.size());
    total += number * unit->nanos;
    if (total > 9.2e18) return std::nullopt;
  }
  const auto nanos = static_cast<int64_t>(std::llround(total));
  return negative ? -nanos : nanos;
}

std::string format_cel_duration(int64_t nanos) {
  const bool negative = nanos < 0;
  const uint64_t abs = negative ? uint64_t(0) - uint64_t(nanos) : uint64_t(nanos);
  std::string out = (negative ? "-" : "") + std::to_string(abs / 1000000000);
  if (uint64_t frac = abs % 1000000000; frac != 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%09llu", static_cast<unsigned long long>(frac));
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    out += "." + f;
  }
  return out + "s";
}

std::optional<int64_t> parse_timestamp(const std::string& s) {
  int year, month, day, hour, minute, second;
  int used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute, &second, &used) != 6 ||
      used != 19)
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dt%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute, &second, &used) != 6 ||
        used != 19)
      return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  size_t pos = 19;
  int64_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (digits < 9) frac = frac * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int d = digits; d < 9; ++d) frac *= 10;
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    const int oh = std::atoi(s.substr(pos + 1, 2).c_str());
    const int om = std::atoi(s.substr(pos + 4, 2).c_str());
    offset = (s[pos] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const int64_t secs = static_cast<int64_t>(timegm(&tm)) - offset;
  return secs * 1000000000 + frac;
}

std::string format_timestamp(int64_t nanos) {
  int64_t secs = nanos / 1000000000;
  int64_t frac = nanos % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (frac != 0) {
    char f[16];
    std::snprintf(f, sizeof f, "%09lld", static_cast<long long>(frac));
    std::string fs = f;
    while (fs.back() == '0') fs.pop_back();
    out += "." + fs;
  }
  return out + "Z";
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace sso::apiserver::cel
