#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace sso::apiserver::cel {

// A CEL value (cel-go common/types): the primitive types, lists, maps, google.protobuf
// Duration and Timestamp (nanoseconds), and errors, which are values too so that && and ||
// can absorb them (CEL's commutative logical operators).
class Value {
 public:
  enum class Kind { Null, Bool, Int, Uint, Double, String, Bytes, List, Map, Duration, Timestamp, Type, Error };
  using List = std::vector<Value>;
  using Map = std::vector<std::pair<Value, Value>>;  // keys unique, in insertion order

  Value() = default;  // null
  static Value boolean(bool b);
  static Value integer(int64_t i);
  static Value unsigned_integer(uint64_t u);
  static Value real(double d);
  static Value string(std::string s);
  static Value bytes(std::string s);
  static Value list(List items);
  static Value map(Map entries);
  static Value duration(int64_t nanos);
  static Value timestamp(int64_t nanos_since_epoch);
  static Value type(std::string name);
  static Value error(std::string message);

  Kind kind() const { return kind_; }
  bool is_error() const { return kind_ == Kind::Error; }
  bool is(Kind k) const { return kind_ == k; }
  bool as_bool() const { return b_; }
  int64_t as_int() const { return i_; }  // Int, Duration, Timestamp
  uint64_t as_uint() const { return u_; }
  double as_double() const { return d_; }
  const std::string& as_string() const { return s_; }  // String, Bytes, Type, Error message
  const List& as_list() const { return *list_; }
  const Map& as_map() const { return *map_; }
  const Value* find(const Value& key) const;  // a map's entry

  // The type's name as CEL prints it: "int", "string", "list", "map", "google.protobuf.Duration".
  std::string type_name() const;
  // Back to JSON (durations and timestamps as their string forms).
  nlohmann::json to_json() const;

 private:
  Kind kind_ = Kind::Null;
  bool b_ = false;
  int64_t i_ = 0;
  uint64_t u_ = 0;
  double d_ = 0;
  std::string s_;
  std::shared_ptr<const List> list_;
  std::shared_ptr<const Map> map_;
};

// CEL equality: heterogeneous (1 == 1.0 is true, 1 == "1" is false), deep on lists and maps.
bool equal(const Value& a, const Value& b);
// Ordering of two values of comparable types (numbers across types, strings, bools, bytes,
// durations, timestamps); nullopt when they do not compare.
std::optional<int> compare(const Value& a, const Value& b);

// Go's time.ParseDuration, signed; nullopt when malformed.
std::optional<int64_t> parse_go_duration(const std::string& text);
// Duration as CEL's string() prints it: seconds with a fraction when needed ("3600s", "1.5s").
std::string format_cel_duration(int64_t nanos);
// RFC 3339 with optional fraction and offset; nullopt when malformed.
std::optional<int64_t> parse_timestamp(const std::string& text);
std::string format_timestamp(int64_t nanos);

// Appends code point `cp` to `out` as UTF-8 (CEL strings are sequences of code points).
void append_utf8(std::string& out, uint32_t cp);

}  // namespace sso::apiserver::cel
