// The CEL interpreter of the API test server, on the rules CRDs commonly carry.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apiserver/cel_interpreter.hpp"
#include "apiserver/cel_program.hpp"

namespace sso::apiserver::cel {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

Value run(const std::string& expression, const json& self = nullptr, const json* old = nullptr) {
  std::string error;
  auto program = compile(expression, nullptr, &error);
  EXPECT_TRUE(program.has_value()) << expression << ": " << error;
  if (!program) return Value::error(error);
  Activation self_var{"self", to_cel_value(self, nullptr), nullptr};
  Activation old_var{"oldSelf", old ? to_cel_value(*old, nullptr) : Value(), &self_var};
  return evaluate(*program->root, old ? &old_var : &self_var);
}

bool holds(const std::string& expression, const json& self = nullptr, const json* old = nullptr) {
  const Value v = run(expression, self, old);
  EXPECT_TRUE(v.is(Value::Kind::Bool)) << expression << " gave " << v.type_name() << ": " << v.as_string();
  return v.is(Value::Kind::Bool) && v.as_bool();
}

std::string error_of(const std::string& expression, const json& self = nullptr) {
  const Value v = run(expression, self);
  EXPECT_TRUE(v.is_error()) << expression;
  return v.as_string();
}

TEST(Cel, Literals) {
  EXPECT_TRUE(holds("1 + 2 * 3 == 7"));
  EXPECT_TRUE(holds("0x10 == 16 && 3u == 3u && 1.5e1 == 15.0"));
  EXPECT_TRUE(holds("'a\\tb' == \"a\\u0009b\" && r'\\n' == '\\\\n' && '''x''' == 'x'"));
  EXPECT_TRUE(holds("'\\x41\\101' == 'AA'"));
  EXPECT_TRUE(holds("null == null && true != false"));
  EXPECT_TRUE(holds("[1, 2, 3][1] == 2 && {'a': 1}['a'] == 1 && {'a': {'b': 2}}.a.b == 2"));
  EXPECT_TRUE(holds("-9223372036854775808 < 0"));
}

TEST(Cel, ArithmeticErrors) {
  EXPECT_THAT(error_of("9223372036854775807 + 1"), HasSubstr("integer overflow"));
  EXPECT_THAT(error_of("1 / 0"), HasSubstr("division by zero"));
  EXPECT_THAT(error_of("1 % 0"), HasSubstr("modulus by zero"));
  EXPECT_THAT(error_of("1 + 1.0"), HasSubstr("no such overload"));
  EXPECT_TRUE(holds("1 == 1.0 && 2u > 1 && 1 < 1.5")) << "numbers compare across types";
  EXPECT_TRUE(holds("'ab' + 'c' == 'abc' && [1] + [2] == [1, 2]"));
}

TEST(Cel, LogicalOperatorsAbsorbErrors) {
  // CEL's && and || are commutative: a decisive side wins over an error on the other.
  EXPECT_FALSE(holds("self.missing == 1 && false", json::object()));
  EXPECT_TRUE(holds("self.missing == 1 || true", json::object()));
  EXPECT_TRUE(holds("true || self.missing == 1", json::object()));
  EXPECT_THAT(error_of("self.missing == 1 && true", json::object()), HasSubstr("no such key: missing"));
  EXPECT_TRUE(holds("!false && (1 < 2 ? true : false)"));
}

TEST(Cel, FieldsAndHas) {
  const json self = {{"renewBefore", "5m"}, {"labels", {{"app", "web"}}}, {"list", {1, 2, 3}}};
  EXPECT_TRUE(holds("has(self.renewBefore) && !has(self.size)", self));
  EXPECT_TRUE(holds("self.labels['app'] == 'web' && 'app' in self.labels && 2 in self.list", self));
  EXPECT_TRUE(holds("size(self.labels) + size(self.list) == 4 && self.list.size() == 3", self));
  EXPECT_THAT(error_of("self.list[5] == 1", self), HasSubstr("index out of bounds"));
}

TEST(Cel, StringFunctions) {
  EXPECT_TRUE(holds("'spiffe://x'.startsWith('spiffe://') && 'a.b'.endsWith('.b') && 'abc'.contains('b')"));
  EXPECT_TRUE(holds("'payments-api'.matches('^[a-z-]+$') && !'Payments'.matches('^[a-z]+$')"));
  EXPECT_TRUE(holds("size('héllo') == 5")) << "size counts code points";
  EXPECT_TRUE(holds("'A,B'.lowerAscii().split(',') == ['a', 'b'] && ['a', 'b'].join('-') == 'a-b'"));
  EXPECT_TRUE(holds("'hello'.substring(1, 3) == 'el' && 'hello'.indexOf('l') == 2 && ' x '.trim() == 'x'"));
}

TEST(Cel, DurationsAndTimestamps) {
  const json tls = {{"duration", "2160h"}, {"renewBefore", "720h"}};
  EXPECT_TRUE(holds("duration(self.renewBefore) < duration(self.duration)", tls));
  EXPECT_TRUE(holds("duration(self.duration) >= duration('1h')", tls));
  EXPECT_TRUE(holds("!has(self.renewBefore) || duration(self.renewBefore) >= duration('5m')", tls));
  EXPECT_TRUE(holds("duration('1h30m') == duration('90m') && duration('1.5h') == duration('5400s')"));
  EXPECT_TRUE(holds("duration('-1s') < duration('0') && duration('300ms') + duration('700ms') == duration('1s')"));
  EXPECT_TRUE(holds("duration('2h').getMinutes() == 120 && string(duration('1h')) == '3600s'"));
  EXPECT_THAT(error_of("duration('forever') > duration('1h')"), HasSubstr("conversion error"));
  EXPECT_TRUE(holds("timestamp('2024-01-01T00:00:00Z') + duration('24h') == timestamp('2024-01-02T00:00:00Z')"));
  EXPECT_TRUE(holds("timestamp('2024-01-01T01:00:00+01:00') == timestamp('2024-01-01T00:00:00Z')"));
  EXPECT_TRUE(holds("timestamp('2024-03-01T00:00:00Z') - timestamp('2024-02-28T00:00:00Z') == duration('48h')"));
}

TEST(Cel, Conversions) {
  EXPECT_TRUE(holds("int('42') == 42 && string(42) == '42' && int(2.9) == 2 && double(1) == 1.0"));
  EXPECT_TRUE(holds("uint(3) == 3u && string(true) == 'true' && bool('false') == false"));
  EXPECT_THAT(error_of("int('x') == 1"), HasSubstr("cannot parse"));
}

TEST(Cel, Macros) {
  const json clients = {{{"secureService", "a"}}, {{"podSelector", {{"app", "b"}}}}};
  EXPECT_TRUE(holds("self.all(c, has(c.secureService) != has(c.podSelector))", clients));
  const json both = {{{"secureService", "a"}, {"podSelector", json::object()}}};
  EXPECT_FALSE(holds("self.all(c, has(c.secureService) != has(c.podSelector))", both));
  EXPECT_TRUE(holds("[1, 2, 3].exists(x, x > 2) && ![1, 2].exists(x, x > 2)"));
  EXPECT_TRUE(holds("[1, 2, 3].exists_one(x, x > 2) && ![3, 4].exists_one(x, x > 2)"));
  EXPECT_TRUE(holds("[1, 2, 3].map(x, x * 2) == [2, 4, 6] && [1, 2, 3].filter(x, x % 2 == 1) == [1, 3]"));
  EXPECT_TRUE(holds("[1, 2, 3].map(x, x > 1, x * 10) == [20, 30]"));
  EXPECT_TRUE(holds("{'a': 1, 'b': 2}.all(k, k in ['a', 'b'])"));
  // all: a false element decides even when another one errs.
  EXPECT_FALSE(holds("[0, 1].all(x, 1 / x == 1 && false)"));
}

TEST(Cel, TransitionRules) {
  const json old = {{"x", 1}};
  EXPECT_TRUE(holds("self.x == oldSelf.x", json{{"x", 1}}, &old));
  EXPECT_FALSE(holds("self.x == oldSelf.x", json{{"x", 2}}, &old));
  std::string error;
  auto program = compile("self.x == oldSelf.x", nullptr, &error);
  ASSERT_TRUE(program);
  EXPECT_TRUE(program->uses_old_self);
  EXPECT_FALSE(compile("self.x == 1", nullptr, &error)->uses_old_self);
}

TEST(Cel, CompileErrorsNameTheProblem) {
  std::string error;
  EXPECT_FALSE(compile("self.x ==", nullptr, &error));
  EXPECT_THAT(error, HasSubstr("ERROR: <input>:1:10: Syntax error"));
  EXPECT_FALSE(compile("self.x == 'unterminated", nullptr, &error));
  EXPECT_THAT(error, HasSubstr("Syntax error"));
  EXPECT_FALSE(compile("nope.x == 1", nullptr, &error));
  EXPECT_THAT(error, HasSubstr("undeclared reference to 'nope'"));
  EXPECT_FALSE(compile("frobnicate(self)", nullptr, &error));
  EXPECT_THAT(error, HasSubstr("undeclared reference to 'frobnicate'"));
  const json schema = {{"type", "object"}, {"properties", {{"duration", {{"type", "string"}}}}}};
  EXPECT_FALSE(compile("self.durration == '1h'", &schema, &error));
  EXPECT_THAT(error, HasSubstr("undefined field 'durration'"));
  EXPECT_TRUE(compile("self.duration == '1h'", &schema, &error)) << error;
  EXPECT_FALSE(compile(std::string(300, '(') + "1" + std::string(300, ')'), nullptr, &error));
}

TEST(Cel, SchemaTypesTheValues) {
  const json schema = {{"type", "object"},
                       {"properties",
                        {{"ratio", {{"type", "number"}}},
                         {"at", {{"type", "string"}, {"format", "date-time"}}},
                         {"my-field", {{"type", "string"}}}}}};
  std::string error;
  auto program =
      compile("self.ratio == 2.0 && self.at < timestamp('2030-01-01T00:00:00Z') && self.my__dash__field == 'x'",
              &schema, &error);
  ASSERT_TRUE(program) << error;
  Activation self{"self", to_cel_value({{"ratio", 2}, {"at", "2024-01-01T00:00:00Z"}, {"my-field", "x"}}, &schema)};
  const Value v = evaluate(*program->root, &self);
  ASSERT_TRUE(v.is(Value::Kind::Bool)) << v.as_string();
  EXPECT_TRUE(v.as_bool());
}

}  // namespace
}  // namespace sso::apiserver::cel
