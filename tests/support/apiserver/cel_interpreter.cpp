#include "apiserver/cel_interpreter.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <ctime>
#include <map>
#include <mutex>
#include <regex>
#include <set>

namespace sso::apiserver::cel {
namespace {

using K = Value::Kind;

Value no_overload(const std::string& function, const std::vector<Value>& args) {
  std::string types;
  for (const auto& a : args) types += (types.empty() ? "" : ", ") + a.type_name();
  return Value::error("no such overload: " + function + "(" + types + ")");
}

// UTF-8 <-> code points, for size() and the index-based string functions, which count
// code points as cel-go does.
std::u32string decode(const std::string& s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp = c;
    size_t n = 1;
    if (c >= 0xF0) {
      cp = c & 0x07;
      n = 4;
    } else if (c >= 0xE0) {
      cp = c & 0x0F;
      n = 3;
    } else if (c >= 0xC0) {
      cp = c & 0x1F;
      n = 2;
    }
    for (size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out += cp;
    i += n;
  }
  return out;
}

std::string encode(const std::u32string& s) {
  std::string out;
  for (char32_t cp : s) append_utf8(out, static_cast<uint32_t>(cp));
  return out;
}

// RE2 patterns run on std::regex's ECMAScript grammar, which covers what CRD rules use.
std::optional<std::regex> compiled_regex(const std::string& pattern, std::string* error) {
  static std::mutex mu;
  static std::map<std::string, std::regex> cache;
  std::lock_guard lock(mu);
  if (auto it = cache.find(pattern); it != cache.end()) return it->second;
  try {
    std::regex re(pattern, std::regex::ECMAScript);
    if (cache.size() > 1000) cache.clear();
    cache.emplace(pattern, re);
    return re;
  } catch (const std::regex_error& e) {
    *error = "error parsing regexp: " + std::string(e.what()) + ": `" + pattern + "`";
    return std::nullopt;
  }
}

std::optional<int64_t> to_index(const Value& v) {
  if (v.is(K::Int)) return v.as_int();
  if (v.is(K::Uint) && v.as_uint() <= uint64_t(INT64_MAX)) return static_cast<int64_t>(v.as_uint());
  if (v.is(K::Double) && v.as_double() == std::floor(v.as_double()) && std::fabs(v.as_double()) < 9e18)
    return static_cast<int64_t>(v.as_double());
  return std::nullopt;
}

Value add(const Value& a, const Value& b) {
  int64_t r;
  if (a.is(K::Int) && b.is(K::Int))
    return __builtin_add_overflow(a.as_int(), b.as_int(), &r) ? Value::error("integer overflow") : Value::integer(r);
  if (a.is(K::Uint) && b.is(K::Uint)) {
    uint64_t u;
    return __builtin_add_overflow(a.as_uint(), b.as_uint(), &u) ? Value::error("unsigned integer overflow")
                                                                : Value::unsigned_integer(u);
  }
  if (a.is(K::Double) && b.is(K::Double)) return Value::real(a.as_double() + b.as_double());
  if (a.is(K::String) && b.is(K::String)) return Value::string(a.as_string() + b.as_string());
  if (a.is(K::Bytes) && b.is(K::Bytes)) return Value::bytes(a.as_string() + b.as_string());
  if (a.is(K::List) && b.is(K::List)) {
    Value::List out = a.as_list();
    out.insert(out.end(), b.as_list().begin(), b.as_list().end());
    return Value::list(std::move(out));
  }
  if (a.is(K::Duration) && b.is(K::Duration))
    return __builtin_add_overflow(a.as_int(), b.as_int(), &r) ? Value::error("integer overflow") : Value::duration(r);
  if ((a.is(K::Timestamp) && b.is(K::Duration)) || (a.is(K::Duration) && b.is(K::Timestamp)))
    return __builtin_add_overflow(a.as_int(), b.as_int(), &r) ? Value::error("integer overflow") : Value::timestamp(r);
  return no_overload("_+_", {a, b});
}

Value subtract(const Value& a, const Value& b) {
  int64_t r;
  if (a.is(K::Int) && b.is(K::Int))
    return __builtin_sub_overflow(a.as_int(), b.as_int(), &r) ? Value::error("integer overflow") : Value::integer(r);
  if (a.is(K::Uint) && b.is(K::Uint)) {
    uint64_t u;
    return __builtin_sub_overflow(a.as_uint(), b.as_uint(), &u) ? Value::error("unsigned integer overflow")
                                                                : Value::unsigned_integer(u);
  }
  if (a.is(K::Double) && b.is(K::Double)) return Value::real(a.as_double() - b.as_double());
  if (a.is(K::Duration) && b.is(K::Duration))
    return __builtin_sub_overflow(a.as_int(), b.as_int(), &r) ? Value::error("integer overflow") : Value::duration(r);
  if (a.is(K::Timestamp) && b.is(K::Duration))
    return __builtin_sub_overflow(a.as_int(), b.as_int(), &r) ? Value::error("integer overflow") : Value::timestamp(r);
  if (a.is(K::Timestamp) && b.is(K::Timestamp))
    return __builtin_sub_overflow(a.as_int(), b.as_int(), &r) ? Value::error("integer overflow") : Value::duration(r);
  return no_overload("_-_", {a, b});
}

Value multiply(const Value& a, const Value& b) {
  if (a.is(K::Int) && b.is(K::Int)) {
    int64_t r;
    return __builtin_mul_overflow(a.as_int(), b.as_int(), &r) ? Value::error("integer overflow") : Value::integer(r);
  }
  if (a.is(K::Uint) && b.is(K::Uint)) {
    uint64_t u;
    return __builtin_mul_overflow(a.as_uint(), b.as_uint(), &u) ? Value::error("unsigned integer overflow")
                                                                : Value::unsigned_integer(u);
  }
  if (a.is(K::Double) && b.is(K::Double)) return Value::real(a.as_double() * b.as_double());
  return no_overload("_*_", {a, b});
}

Value divide(const Value& a, const Value& b, bool modulus) {
  const char* name = modulus ? "_%_" : "_/_";
  if (a.is(K::Int) && b.is(K::Int)) {
    if (b.as_int() == 0) return Value::error(modulus ? "modulus by zero" : "division by zero");
    if (a.as_int() == INT64_MIN && b.as_int() == -1) return Value::error("integer overflow");
    return Value::integer(modulus ? a.as_int() % b.as_int() : a.as_int() / b.as_int());
  }
  if (a.is(K::Uint) && b.is(K::Uint)) {
    if (b.as_uint() == 0) return Value::error(modulus ? "modulus by zero" : "division by zero");
    return Value::unsigned_integer(modulus ? a.as_uint() % b.as_uint() : a.as_uint() / b.as_uint());
  }
  if (!modulus && a.is(K::Double) && b.is(K::Double)) return Value::real(a.as_double() / b.as_double());
  return no_overload(name, {a, b});
}

Value index(const Value& container, const Value& key) {
  if (container.is(K::List)) {
    const auto i = to_index(key);
    if (!i) return no_overload("_[_]", {container, key});
    if (*i < 0 || *i >= static_cast<int64_t>(container.as_list().size()))
      return Value::error("index out of bounds: " + std::to_string(*i));
    return container.as_list()[static_cast<size_t>(*i)];
  }
  if (container.is(K::Map)) {
    if (const Value* v = container.find(key)) return *v;
    return Value::error("no such key: " + (key.is(K::String) ? key.as_string() : key.to_json().dump()));
  }
  return no_overload("_[_]", {container, key});
}

Value select(const Value& operand, const std::string& field) {
  if (operand.is(K::Map)) {
    if (const Value* v = operand.find(Value::string(field))) return *v;
    const std::string unescaped = unescape_field_name(field);
    if (const Value* v = operand.find(Value::string(unescaped))) return *v;
    return Value::error("no such key: " + unescaped);
  }
  return Value::error("type '" + operand.type_name() + "' does not support field selection");
}

Value to_int(const Value& v) {
  switch (v.kind()) {
    case K::Int: return v;
    case K::Uint:
      return v.as_uint() > uint64_t(INT64_MAX) ? Value::error("integer overflow")
                                               : Value::integer(int64_t(v.as_uint()));
    case K::Double:
      if (!std::isfinite(v.as_double()) || v.as_double() <= -9.223372036854775808e18 ||
          v.as_double() >= 9.223372036854775807e18)
        return Value::error("integer overflow");
      return Value::integer(static_cast<int64_t>(v.as_double()));
    case K::String: {
      try {
        size_t used = 0;
        const long long r = std::stoll(v.as_string(), &used, 10);
        if (used == v.as_string().size()) return Value::integer(r);
      } catch (const std::exception&) {
      }
      return Value::error("cannot parse '" + v.as_string() + "' as int");
    }
    case K::Timestamp: return Value::integer(v.as_int() / 1000000000 - (v.as_int() % 1000000000 < 0 ? 1 : 0));
    case K::Duration: return Value::integer(v.as_int());
    default: return no_overload("int", {v});
  }
}

Value to_uint(const Value& v) {
  switch (v.kind()) {
    case K::Uint: return v;
    case K::Int:
      return v.as_int() < 0 ? Value::error("unsigned integer overflow") : Value::unsigned_integer(v.as_int());
    case K::Double:
      if (!std::isfinite(v.as_double()) || v.as_double() < 0 || v.as_double() >= 1.8446744073709552e19)
        return Value::error("unsigned integer overflow");
      return Value::unsigned_integer(static_cast<uint64_t>(v.as_double()));
    case K::String: {
      try {
        size_t used = 0;
        if (!v.as_string().empty() && v.as_string()[0] != '-') {
          const unsigned long long r = std::stoull(v.as_string(), &used, 10);
          if (used == v.as_string().size()) return Value::unsigned_integer(r);
        }
      } catch (const std::exception&) {
      }
      return Value::error("cannot parse '" + v.as_string() + "' as uint");
    }
    default: return no_overload("uint", {v});
  }
}

Value to_double(const Value& v) {
  switch (v.kind()) {
    case K::Double: return v;
    case K::Int: return Value::real(static_cast<double>(v.as_int()));
    case K::Uint: return Value::real(static_cast<double>(v.as_uint()));
    case K::String: {
      try {
        size_t used = 0;
        const double d = std::stod(v.as_string(), &used);
        if (used == v.as_string().size()) return Value::real(d);
      } catch (const std::exception&) {
      }
      return Value::error("cannot parse '" + v.as_string() + "' as double");
    }
    default: return no_overload("double", {v});
  }
}

std::string format_double(double d) {
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  if (std::isnan(d)) return "NaN";
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  return buf;
}

Value to_string(const Value& v) {
  switch (v.kind()) {
    case K::String: return v;
    case K::Bytes: return Value::string(v.as_string());
    case K::Int: return Value::string(std::to_string(v.as_int()));
    case K::Uint: return Value::string(std::to_string(v.as_uint()));
    case K::Double: return Value::string(format_double(v.as_double()));
    case K::Bool: return Value::string(v.as_bool() ? "true" : "false");
    case K::Duration: return Value::string(format_cel_duration(v.as_int()));
    case K::Timestamp: return Value::string(format_timestamp(v.as_int()));
    default: return no_overload("string", {v});
  }
}

Value to_bool(const Value& v) {
  if (v.is(K::Bool)) return v;
  if (v.is(K::String)) {
    static const std::set<std::string> kTrue = {"1", "t", "true", "TRUE", "True"};
    static const std::set<std::string> kFalse = {"0", "f", "false", "FALSE", "False"};
    if (kTrue.count(v.as_string())) return Value::boolean(true);
    if (kFalse.count(v.as_string())) return Value::boolean(false);
    return Value::error("type conversion error from 'string' to 'bool'");
  }
  return no_overload("bool", {v});
}

Value to_duration(const Value& v) {
  if (v.is(K::Duration)) return v;
  if (v.is(K::Int)) return Value::duration(v.as_int());
  if (!v.is(K::String)) return no_overload("duration", {v});
  auto nanos = parse_go_duration(v.as_string());
  if (!nanos) return Value::error("type conversion error from 'string' to 'google.protobuf.Duration'");
  return Value::duration(*nanos);
}

Value to_timestamp(const Value& v) {
  if (v.is(K::Timestamp)) return v;
  if (v.is(K::Int)) {
    int64_t r;
    if (__builtin_mul_overflow(v.as_int(), int64_t{1000000000}, &r)) return Value::error("timestamp overflow");
    return Value::timestamp(r);
  }
  if (!v.is(K::String)) return no_overload("timestamp", {v});
  auto nanos = parse_timestamp(v.as_string());
  if (!nanos) return Value::error("type conversion error from 'string' to 'google.protobuf.Timestamp'");
  return Value::timestamp(*nanos);
}

Value size_of(const Value& v) {
  if (v.is(K::String)) return Value::integer(static_cast<int64_t>(decode(v.as_string()).size()));
  if (v.is(K::Bytes)) return Value::integer(static_cast<int64_t>(v.as_string().size()));
  if (v.is(K::List)) return Value::integer(static_cast<int64_t>(v.as_list().size()));
  if (v.is(K::Map)) return Value::integer(static_cast<int64_t>(v.as_map().size()));
  return no_overload("size", {v});
}

Value timestamp_part(const std::string& name, const Value& t) {
  int64_t secs = t.as_int() / 1000000000;
  int64_t nanos = t.as_int() % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --secs;
  }
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  if (name == "getFullYear") return Value::integer(tm.tm_year + 1900);
  if (name == "getMonth") return Value::integer(tm.tm_mon);
  if (name == "getDate") return Value::integer(tm.tm_mday);
  if (name == "getDayOfMonth") return Value::integer(tm.tm_mday - 1);
  if (name == "getDayOfWeek") return Value::integer(tm.tm_wday);
  if (name == "getDayOfYear") return Value::integer(tm.tm_yday);
  if (name == "getHours") return Value::integer(tm.tm_hour);
  if (name == "getMinutes") return Value::integer(tm.tm_min);
  if (name == "getSeconds") return Value::integer(tm.tm_sec);
  if (name == "getMilliseconds") return Value::integer(nanos / 1000000);
  return no_overload(name, {t});
}

Value duration_part(const std::string& name, const Value& d) {
  if (name == "getHours") return Value::integer(d.as_int() / 3600000000000LL);
  if (name == "getMinutes") return Value::integer(d.as_int() / 60000000000LL);
  if (name == "getSeconds") return Value::integer(d.as_int() / 1000000000LL);
  if (name == "getMilliseconds") return Value::integer(d.as_int() / 1000000LL);
  return no_overload(name, {d});
}

// The string functions of cel-go's strings extension, which Kubernetes enables.
Value string_method(const std::string& name, const std::string& s, const std::vector<Value>& args) {
  auto arg_string = [&](size_t i) -> const std::string* {
    return i < args.size() && args[i].is(K::String) ? &args[i].as_string() : nullptr;
  };
  auto arg_int = [&](size_t i) -> std::optional<int64_t> {
    return i < args.size() && args[i].is(K::Int) ? std::optional<int64_t>(args[i].as_int()) : std::nullopt;
  };
  std::vector<Value> all = {Value::string(s)};
  all.insert(all.end(), args.begin(), args.end());
  if (args.size() == 1 && arg_string(0)) {
    const std::string& p = *arg_string(0);
    if (name == "startsWith") return Value::boolean(s.compare(0, p.size(), p) == 0);
    if (name == "endsWith")
      return Value::boolean(s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0);
    if (name == "contains") return Value::boolean(s.find(p) != std::string::npos);
    if (name == "matches") {
      std::string error;
      auto re = compiled_regex(p, &error);
      if (!re) return Value::error(error);
      return Value::boolean(std::regex_search(s, *re));
    }
    if (name == "indexOf" || name == "lastIndexOf") {
      const auto cs = decode(s), cp = decode(p);
      const size_t at = name == "indexOf" ? cs.find(cp) : cs.rfind(cp);
      return Value::integer(at == std::u32string::npos ? -1 : static_cast<int64_t>(at));
    }
    if (name == "split") {
      Value::List parts;
      if (p.empty()) {
        for (char32_t c : decode(s)) parts.push_back(Value::string(encode(std::u32string(1, c))));
        return Value::list(std::move(parts));
      }
      size_t start = 0, at;
      while ((at = s.find(p, start)) != std::string::npos) {
        parts.push_back(Value::string(s.substr(start, at - start)));
        start = at + p.size();
      }
      parts.push_back(Value::string(s.substr(start)));
      return Value::list(std::move(parts));
    }
  }
  if (args.empty()) {
    if (name == "lowerAscii" || name == "upperAscii") {
      std::string out = s;
      for (auto& c : out)
        c = static_cast<char>(name == "lowerAscii" ? std::tolower(static_cast<unsigned char>(c))
                                                   : std::toupper(static_cast<unsigned char>(c)));
      return Value::string(out);
    }
    if (name == "trim") {
      const auto cs = decode(s);
      size_t b = 0, e = cs.size();
      auto space = [](char32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
      while (b < e && space(cs[b])) ++b;
      while (e > b && space(cs[e - 1])) --e;
      return Value::string(encode(cs.substr(b, e - b)));
    }
    if (name == "size") return size_of(all[0]);
  }
  if (name == "charAt" && arg_int(0)) {
    const auto cs = decode(s);
    const int64_t i = *arg_int(0);
    if (i < 0 || i > static_cast<int64_t>(cs.size())) return Value::error("index out of range: " + std::to_string(i));
    return Value::string(i == static_cast<int64_t>(cs.size()) ? "" : encode(cs.substr(size_t(i), 1)));
  }
  if (name == "substring" && arg_int(0) && (args.size() == 1 || arg_int(1))) {
    const auto cs = decode(s);
    const int64_t b = *arg_int(0), e = args.size() == 2 ? *arg_int(1) : static_cast<int64_t>(cs.size());
    if (b < 0 || b > static_cast<int64_t>(cs.size())) return Value::error("index out of range: " + std::to_string(b));
    if (e < b || e > static_cast<int64_t>(cs.size())) return Value::error("index out of range: " + std::to_string(e));
    return Value::string(encode(cs.substr(size_t(b), size_t(e - b))));
  }
  if (name == "replace" && arg_string(0) && arg_string(1) && (args.size() == 2 || arg_int(2))) {
    const std::string &from = *arg_string(0), &to = *arg_string(1);
    int64_t limit = args.size() == 3 ? *arg_int(2) : -1;
    std::string out;
    size_t start = 0, at;
    while (limit != 0 && !from.empty() && (at = s.find(from, start)) != std::string::npos) {
      out += s.substr(start, at - start) + to;
      start = at + from.size();
      --limit;
    }
    return Value::string(out + s.substr(start));
  }
  return no_overload(name, all);
}

Value list_method(const std::string& name, const Value& list, const std::vector<Value>& args) {
  const auto& items = list.as_list();
  std::vector<Value> all = {list};
  all.insert(all.end(), args.begin(), args.end());
  if (name == "size" && args.empty()) return size_of(list);
  if (name == "join" && args.size() <= 1) {
    std::string sep = args.empty() ? "" : (args[0].is(K::String) ? args[0].as_string() : "\x01");
    if (sep == "\x01") return no_overload(name, all);
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is(K::String)) return no_overload(name, all);
      out += (i ? sep : "") + items[i].as_string();
    }
    return Value::string(out);
  }
  if ((name == "indexOf" || name == "lastIndexOf") && args.size() == 1) {
    int64_t found = -1;
    for (size_t i = 0; i < items.size(); ++i)
      if (equal(items[i], args[0])) {
        found = static_cast<int64_t>(i);
        if (name == "indexOf") break;
      }
    return Value::integer(found);
  }
  if (name == "isSorted" && args.empty()) {
    for (size_t i = 1; i < items.size(); ++i) {
      auto c = compare(items[i - 1], items[i]);
      if (!c) return no_overload(name, all);
      if (*c > 0) return Value::boolean(false);
    }
    return Value::boolean(true);
  }
  if ((name == "min" || name == "max") && args.empty()) {
    if (items.empty()) return Value::error(name + " called on empty list");
    Value best = items[0];
    for (const auto& item : items) {
      auto c = compare(item, best);
      if (!c) return no_overload(name, all);
      if ((name == "min" && *c < 0) || (name == "max" && *c > 0)) best = item;
    }
    return best;
  }
  if (name == "sum" && args.empty()) {
    Value total = Value::integer(0);
    if (!items.empty() && items[0].is(K::Double)) total = Value::real(0);
    if (!items.empty() && items[0].is(K::Uint)) total = Value::unsigned_integer(0);
    if (!items.empty() && items[0].is(K::Duration)) total = Value::duration(0);
    for (const auto& item : items) {
      total = add(total, item);
      if (total.is_error()) return total;
    }
    return total;
  }
  return no_overload(name, all);
}

const std::set<std::string>& global_functions() {
  static const std::set<std::string> kNames = {"size",  "int",      "uint",      "double", "string",  "bool",
                                               "bytes", "duration", "timestamp", "dyn",    "matches", "type"};
  return kNames;
}

const std::set<std::string>& method_functions() {
  static const std::set<std::string> kNames = {
      "size",           "startsWith",    "endsWith",     "contains",     "matches",  "indexOf",     "lastIndexOf",
      "split",          "lowerAscii",    "upperAscii",   "trim",         "charAt",   "substring",   "replace",
      "join",           "isSorted",      "min",          "max",          "sum",      "getFullYear", "getMonth",
      "getDate",        "getDayOfMonth", "getDayOfWeek", "getDayOfYear", "getHours", "getMinutes",  "getSeconds",
      "getMilliseconds"};
  return kNames;
}

Value call_function(const Node& node, const Activation* vars) {
  const std::string& name = node.name;
  std::vector<Value> args;
  args.reserve(node.args.size());
  Value target;
  if (node.operand) {
    target = evaluate(*node.operand, vars);
    if (target.is_error()) return target;
  }
  for (const auto& a : node.args) {
    args.push_back(evaluate(*a, vars));
    if (args.back().is_error()) return args.back();
  }
  if (node.operand) {
    if (target.is(K::String)) return string_method(name, target.as_string(), args);
    if (target.is(K::List)) return list_method(name, target, args);
    if (name == "size" && args.empty()) return size_of(target);
    if (target.is(K::Timestamp) && args.empty()) return timestamp_part(name, target);
    if (target.is(K::Duration) && args.empty()) return duration_part(name, target);
    std::vector<Value> all = {target};
    all.insert(all.end(), args.begin(), args.end());
    return no_overload(name, all);
  }
  if (args.size() == 2) {
    const Value &a = args[0], &b = args[1];
    if (name == "_==_") return Value::boolean(equal(a, b));
    if (name == "_!=_") return Value::boolean(!equal(a, b));
    if (name == "_<_" || name == "_<=_" || name == "_>_" || name == "_>=_") {
      const auto c = compare(a, b);
      if (!c) return no_overload(name, args);
      if (name == "_<_") return Value::boolean(*c < 0);
      if (name == "_<=_") return Value::boolean(*c <= 0);
      if (name == "_>_") return Value::boolean(*c > 0);
      return Value::boolean(*c >= 0);
    }
    if (name == "_+_") return add(a, b);
    if (name == "_-_") return subtract(a, b);
    if (name == "_*_") return multiply(a, b);
    if (name == "_/_") return divide(a, b, false);
    if (name == "_%_") return divide(a, b, true);
    if (name == "_[_]") return index(a, b);
    if (name == "@in") {
      if (b.is(K::List))
        return Value::boolean(
            std::any_of(b.as_list().begin(), b.as_list().end(), [&](const Value& x) { return equal(x, a); }));
      if (b.is(K::Map)) return Value::boolean(b.find(a) != nullptr);
      return no_overload(name, args);
    }
    if (name == "matches" && a.is(K::String) && b.is(K::String)) return string_method("matches", a.as_string(), {b});
  }
  if (args.size() == 1) {
    const Value& a = args[0];
    if (name == "!_") return a.is(K::Bool) ? Value::boolean(!a.as_bool()) : no_overload(name, args);
    if (name == "-_") {
      if (a.is(K::Int)) return a.as_int() == INT64_MIN ? Value::error("integer overflow") : Value::integer(-a.as_int());
      if (a.is(K::Double)) return Value::real(-a.as_double());
      if (a.is(K::Duration)) return Value::duration(-a.as_int());
      return no_overload(name, args);
    }
    if (name == "size") return size_of(a);
    if (name == "int") return to_int(a);
    if (name == "uint") return to_uint(a);
    if (name == "double") return to_double(a);
    if (name == "string") return to_string(a);
    if (name == "bool") return to_bool(a);
    if (name == "bytes")
      return a.is(K::String) || a.is(K::Bytes) ? Value::bytes(a.as_string()) : no_overload(name, args);
    if (name == "duration") return to_duration(a);
    if (name == "timestamp") return to_timestamp(a);
    if (name == "dyn") return a;
    if (name == "type") return Value::type(a.type_name());
  }
  if (global_functions().count(name) || name.front() == '_' || name.front() == '!' || name.front() == '-' ||
      name.front() == '@')
    return no_overload(name, args);
  return Value::error("no such function: " + name);
}

Value comprehension(const Node& node, const Activation* vars) {
  const Value range = evaluate(*node.operand, vars);
  if (range.is_error()) return range;
  std::vector<Value> items;
  if (range.is(K::List)) {
    items = range.as_list();
  } else if (range.is(K::Map)) {
    for (const auto& [k, v] : range.as_map()) items.push_back(k);
  } else {
    return Value::error("expression of type '" + range.type_name() + "' cannot be range of a comprehension");
  }
  const std::string& macro = node.name;
  std::optional<Value> error;
  int64_t count = 0;
  Value::List out;
  for (const auto& item : items) {
    Activation scope{node.var, item, vars};
    if (macro == "map" && node.args.size() == 1) {
      Value v = evaluate(*node.args[0], &scope);
      if (v.is_error()) return v;
      out.push_back(std::move(v));
      continue;
    }
    const Value p = evaluate(*node.args[0], &scope);
    const bool is_bool = p.is(K::Bool);
    if (!is_bool) {
      if (macro == "all" || macro == "exists") {
        if (!error) error = p.is_error() ? p : no_overload(macro, {p});
        continue;
      }
      return p.is_error() ? p : no_overload(macro, {p});
    }
    if (macro == "all" && !p.as_bool()) return Value::boolean(false);
    if (macro == "exists" && p.as_bool()) return Value::boolean(true);
    if (macro == "exists_one" && p.as_bool()) ++count;
    if ((macro == "filter" || macro == "map") && p.as_bool()) {
      if (macro == "filter") {
        out.push_back(item);
      } else {
        Value v = evaluate(*node.args[1], &scope);
        if (v.is_error()) return v;
        out.push_back(std::move(v));
      }
    }
  }
  if (macro == "all" || macro == "exists") return error ? *error : Value::boolean(macro == "all");
  if (macro == "exists_one") return Value::boolean(count == 1);
  return Value::list(std::move(out));
}

}  // namespace

std::string unescape_field_name(const std::string& name) {
  if (name.find("__") == std::string::npos) return name;
  static const std::set<std::string> kReserved = {
      "true", "false",  "null", "in",   "as",      "break",     "const",  "continue", "else", "for",  "function",
      "if",   "import", "let",  "loop", "package", "namespace", "return", "var",      "void", "while"};
  if (name.size() > 4 && name.rfind("__", 0) == 0 && name.compare(name.size() - 2, 2, "__") == 0) {
    const std::string inner = name.substr(2, name.size() - 4);
    if (kReserved.count(inner)) return inner;
  }
  std::string out;
  for (size_t i = 0; i < name.size();) {
    auto take = [&](const char* token, const char* with) {
      const size_t n = std::char_traits<char>::length(token);
      if (name.compare(i, n, token) != 0) return false;
      out += with;
      i += n;
      return true;
    };
    if (take("__underscores__", "__") || take("__dot__", ".") || take("__dash__", "-") || take("__slash__", "/"))
      continue;
    out += name[i++];
  }
  return out;
}

bool is_function(const std::string& name, bool as_method) {
  return as_method ? method_functions().count(name) > 0 : global_functions().count(name) > 0;
}

Value evaluate(const Node& node, const Activation* vars) {
  switch (node.kind) {
    case Node::Kind::Literal: return node.value;
    case Node::Kind::Ident: {
      if (vars != nullptr)
        if (const Value* v = vars->lookup(node.name)) return *v;
      return Value::error("undeclared reference to '" + node.name + "'");
    }
    case Node::Kind::Select: {
      const Value operand = evaluate(*node.operand, vars);
      return operand.is_error() ? operand : select(operand, node.name);
    }
    case Node::Kind::Has: {
      const Value operand = evaluate(*node.operand, vars);
      if (operand.is_error()) return operand;
      if (!operand.is(K::Map)) return Value::error("invalid type for field selection.");
      return Value::boolean(operand.find(Value::string(node.name)) != nullptr ||
                            operand.find(Value::string(unescape_field_name(node.name))) != nullptr);
    }
    case Node::Kind::Call: return call_function(node, vars);
    case Node::Kind::List: {
      Value::List items;
      for (const auto& a : node.args) {
        items.push_back(evaluate(*a, vars));
        if (items.back().is_error()) return items.back();
      }
      return Value::list(std::move(items));
    }
    case Node::Kind::Map: {
      Value::Map entries;
      for (size_t i = 0; i + 1 < node.args.size(); i += 2) {
        Value k = evaluate(*node.args[i], vars);
        if (k.is_error()) return k;
        if (!(k.is(K::String) || k.is(K::Int) || k.is(K::Uint) || k.is(K::Bool)))
          return Value::error("unsupported key type: " + k.type_name());
        Value v = evaluate(*node.args[i + 1], vars);
        if (v.is_error()) return v;
        for (const auto& [existing, unused] : entries)
          if (equal(existing, k)) return Value::error("Failed with repeated key");
        entries.emplace_back(std::move(k), std::move(v));
      }
      return Value::map(std::move(entries));
    }
    case Node::Kind::And:
    case Node::Kind::Or: {
      // Commutative: either side decides (false for &&, true for ||) even if the other errs.
      const bool is_and = node.kind == Node::Kind::And;
      const Value lhs = evaluate(*node.args[0], vars);
      if (lhs.is(K::Bool) && lhs.as_bool() != is_and) return lhs;
      const Value rhs = evaluate(*node.args[1], vars);
      if (rhs.is(K::Bool) && rhs.as_bool() != is_and) return rhs;
      if (lhs.is(K::Bool) && rhs.is(K::Bool)) return Value::boolean(is_and);
      if (lhs.is_error()) return lhs;
      if (rhs.is_error()) return rhs;
      return no_overload(is_and ? "_&&_" : "_||_", {lhs, rhs});
    }
    case Node::Kind::Conditional: {
      const Value cond = evaluate(*node.args[0], vars);
      if (cond.is_error()) return cond;
      if (!cond.is(K::Bool)) return no_overload("_?_:_", {cond});
      return evaluate(*node.args[cond.as_bool() ? 1 : 2], vars);
    }
    case Node::Kind::Comprehension: return comprehension(node, vars);
  }
  return Value::error("unknown expression");
}

}  // namespace sso::apiserver::cel
