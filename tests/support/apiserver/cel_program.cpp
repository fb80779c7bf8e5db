#include "apiserver/cel_program.hpp"

#include <map>

#include "apiserver/cel_interpreter.hpp"
#include "apiserver/cel_parser.hpp"

namespace sso::apiserver::cel {
namespace {

using nlohmann::json;

// The schema of a child, or null when it is not statically known.
const json* property_schema(const json* schema, const std::string& name) {
  if (schema == nullptr || !schema->is_object()) return nullptr;
  if (auto p = schema->find("properties"); p != schema->end() && p->is_object() && p->contains(name))
    return &(*p)[name];
  if (auto a = schema->find("additionalProperties"); a != schema->end() && a->is_object()) return &*a;
  return nullptr;
}

// Whether selecting `name` on a value of `schema` can only fail: the schema is an object
// that lists its properties and keeps no others.
bool undefined_field(const json* schema, const std::string& name) {
  if (schema == nullptr || !schema->is_object()) return false;
  if (schema->value("type", "") != "object" || schema->value("x-kubernetes-preserve-unknown-fields", false) ||
      schema->value("x-kubernetes-embedded-resource", false) || schema->contains("additionalProperties") ||
      !schema->contains("properties"))
    return false;  // no properties at all: metadata and other untyped objects
  const json props = schema->value("properties", json::object());
  return !props.contains(name);
}

class Checker {
 public:
  explicit Checker(const std::string& expression) : expression_(expression) {}

  // Returns the static schema of the node (null: dyn), and records the first error.
  const json* check(const Node& node, const std::map<std::string, const json*>& scope) {
    if (!error_.empty()) return nullptr;
    switch (node.kind) {
      case Node::Kind::Literal: return nullptr;
      case Node::Kind::Ident: {
        auto it = scope.find(node.name);
        if (it == scope.end()) fail(node, "undeclared reference to '" + node.name + "' (in container '')");
        if (node.name == "oldSelf") uses_old_self_ = true;
        return it == scope.end() ? nullptr : it->second;
      }
      case Node::Kind::Select:
      case Node::Kind::Has: {
        const json* operand = check(*node.operand, scope);
        const std::string field = unescape_field_name(node.name);
        if (undefined_field(operand, field)) fail(node, "undefined field '" + field + "'");
        return node.kind == Node::Kind::Has ? nullptr : property_schema(operand, field);
      }
      case Node::Kind::Call: {
        const json* target = node.operand ? check(*node.operand, scope) : nullptr;
        std::vector<const json*> args;
        for (const auto& a : node.args) args.push_back(check(*a, scope));
        const bool op = node.name[0] == '_' || node.name[0] == '!' || node.name[0] == '-' || node.name[0] == '@';
        if (!op && !is_function(node.name, node.operand != nullptr))
          fail(node, "undeclared reference to '" + node.name + "' (in container '')");
        if (node.name == "_[_]" && args[0] != nullptr) {
          if (auto items = args[0]->find("items"); items != args[0]->end()) return &*items;
          if (auto ap = args[0]->find("additionalProperties"); ap != args[0]->end() && ap->is_object()) return &*ap;
        }
        (void)target;
        return nullptr;
      }
      case Node::Kind::List:
      case Node::Kind::Map:
      case Node::Kind::And:
      case Node::Kind::Or:
      case Node::Kind::Conditional:
        for (const auto& a : node.args) check(*a, scope);
        return nullptr;
      case Node::Kind::Comprehension: {
        const json* range = check(*node.operand, scope);
        auto inner = scope;
        inner[node.var] = nullptr;
        if (range != nullptr && range->value("type", "") == "array" && range->contains("items"))
          inner[node.var] = &(*range)["items"];
        for (const auto& a : node.args) check(*a, inner);
        return nullptr;
      }
    }
    return nullptr;
  }

  const std::string& error() const { return error_; }
  bool uses_old_self() const { return uses_old_self_; }

 private:
  void fail(const Node& node, const std::string& message) {
    if (error_.empty()) error_ = display(expression_, node.offset, message);
  }

 public:
  // cel-go's Errors.ToDisplayString: the location, the message, the line and a caret.
  static std::string display(const std::string& expression, size_t offset, const std::string& message) {
    size_t line_start = expression.rfind('\n', offset == 0 ? 0 : offset - 1);
    line_start = line_start == std::string::npos ? 0 : line_start + 1;
    if (offset < line_start) line_start = 0;
    size_t line_end = expression.find('\n', offset);
    if (line_end == std::string::npos) line_end = expression.size();
    const std::string line = expression.substr(line_start, line_end - line_start);
    return "ERROR: " + locate(expression, offset) + ": " + message + "\n | " + line + "\n | " +
           std::string(offset - line_start, '.') + "^";
  }

 private:
  const std::string& expression_;
  std::string error_;
  bool uses_old_self_ = false;
};

}  // namespace

std::optional<Program> compile(const std::string& expression, const json* self_schema, std::string* error) {
  SyntaxError syntax;
  NodePtr root = parse(expression, &syntax);
  if (!root) {
    *error =
        Checker::display(expression, std::min(syntax.offset, expression.size()), "Syntax error: " + syntax.message);
    return std::nullopt;
  }
  Checker checker(expression);
  checker.check(*root, {{"self", self_schema}, {"oldSelf", self_schema}});
  if (!checker.error().empty()) {
    *error = checker.error();
    return std::nullopt;
  }
  return Program{expression, root, checker.uses_old_self()};
}

Value to_cel_value(const json& value, const json* schema) {
  const std::string type = schema != nullptr && schema->is_object() ? schema->value("type", "") : "";
  const std::string format = schema != nullptr && schema->is_object() ? schema->value("format", "") : "";
  switch (value.type()) {
    case json::value_t::null: return Value();
    case json::value_t::boolean: return Value::boolean(value.get<bool>());
    case json::value_t::number_integer:
      return type == "number" ? Value::real(double(value.get<int64_t>())) : Value::integer(value.get<int64_t>());
    case json::value_t::number_unsigned: {
      const uint64_t u = value.get<uint64_t>();
      if (type == "number") return Value::real(double(u));
      return u <= uint64_t(INT64_MAX) ? Value::integer(int64_t(u)) : Value::unsigned_integer(u);
    }
    case json::value_t::number_float: return Value::real(value.get<double>());
    case json::value_t::string: {
      const std::string& s = value.get_ref<const std::string&>();
      if (format == "duration")
        if (auto d = parse_go_duration(s)) return Value::duration(*d);
      if (format == "date-time")
        if (auto t = parse_timestamp(s)) return Value::timestamp(*t);
      return Value::string(s);
    }
    case json::value_t::array: {
      const json* items =
          schema != nullptr && schema->is_object() && schema->contains("items") ? &(*schema)["items"] : nullptr;
      Value::List out;
      for (const auto& item : value) out.push_back(to_cel_value(item, items));
      return Value::list(std::move(out));
    }
    case json::value_t::object: {
      Value::Map out;
      for (const auto& [k, v] : value.items())
        out.emplace_back(Value::string(k), to_cel_value(v, property_schema(schema, k)));
      return Value::map(std::move(out));
    }
    default: return Value();
  }
}

}  // namespace sso::apiserver::cel
