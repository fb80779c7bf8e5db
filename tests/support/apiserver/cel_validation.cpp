#include "apiserver/cel_validation.hpp"

#include "apiserver/cel_interpreter.hpp"
#include "apiserver/structural_schema.hpp"

namespace sso::apiserver {
namespace {

using nlohmann::json;

// Go's %#v of an apiextensions.ValidationRule, as the CRD validation error prints it.
std::string describe_rule(const json& rule) {
  auto q = [](const json& r, const char* key) { return json(r.value(key, "")).dump(); };
  return "apiextensions.ValidationRule{Rule:" + q(rule, "rule") + ", Message:" + q(rule, "message") +
         ", MessageExpression:" + q(rule, "messageExpression") +
         ", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:" + q(rule, "fieldPath") +
         ", OptionalOldSelf:(*bool)(nil)}";
}

// A rule's fieldPath (".spec.ports", "['a.b'].c", ".list[0]") under `path`, as field.Path prints it.
std::string join_field_path(const std::string& path, const std::string& relative) {
  std::string out = path;
  for (size_t i = 0; i < relative.size();) {
    if (relative[i] == '.') {
      size_t end = i + 1;
      while (end < relative.size() && relative[end] != '.' && relative[end] != '[') ++end;
      out = child_path(out, relative.substr(i + 1, end - i - 1));
      i = end;
    } else if (relative[i] == '[') {
      size_t end = relative.find(']', i);
      if (end == std::string::npos) break;
      std::string key = relative.substr(i + 1, end - i - 1);
      if (key.size() >= 2 && (key.front() == '\'' || key.front() == '"')) key = key.substr(1, key.size() - 2);
      out += "[" + key + "]";
      i = end + 1;
    } else {
      ++i;
    }
  }
  return out;
}

void collect(const json& s, const std::string& path, std::vector<std::pair<const json*, std::string>>& out) {
  if (!s.is_object()) return;
  out.emplace_back(&s, path);
  if (auto props = s.find("properties"); props != s.end() && props->is_object())
    for (const auto& [key, child] : props->items()) collect(child, path + ".properties[" + key + "]", out);
  if (auto items = s.find("items"); items != s.end()) collect(*items, path + ".items", out);
  if (auto ap = s.find("additionalProperties"); ap != s.end()) collect(*ap, path + ".additionalProperties", out);
}

}  // namespace

ValidationRules ValidationRules::compile(const json& schema, const std::string& schema_path, FieldErrors* errors) {
  ValidationRules out;
  out.root_ = &schema;
  std::vector<std::pair<const json*, std::string>> nodes;
  collect(schema, schema_path, nodes);
  for (const auto& [node, path] : nodes) {
    auto rules = node->find("x-kubernetes-validations");
    if (rules == node->end() || !rules->is_array()) continue;
    for (size_t i = 0; i < rules->size(); ++i) {
      const json& r = (*rules)[i];
      const std::string rule_path = path + ".x-kubernetes-validations[" + std::to_string(i) + "]";
      if (!r.is_object() || !r.contains("rule") || !r["rule"].is_string()) {
        errors->push_back(field_required(rule_path + ".rule"));
        continue;
      }
      std::string error;
      auto program = cel::compile(r["rule"].get<std::string>(), node, &error);
      if (!program) {
        errors->push_back(field_invalid(rule_path + ".rule", nullptr, "compilation failed: " + error));
        errors->back().message = "Invalid value: " + describe_rule(r) + ": compilation failed: " + error;
        continue;
      }
      Rule rule{std::move(*program), r.value("message", ""), std::nullopt, r.value("reason", ""),
                r.value("fieldPath", "")};
      if (r.contains("messageExpression") && r["messageExpression"].is_string()) {
        auto message = cel::compile(r["messageExpression"].get<std::string>(), node, &error);
        if (!message) {
          errors->push_back(field_invalid(rule_path + ".messageExpression", r["messageExpression"],
                                          "messageExpression compilation failed: " + error));
          continue;
        }
        rule.message_expression = std::move(*message);
      }
      const std::string reason = rule.reason;
      if (!reason.empty() && reason != "FieldValueInvalid" && reason != "FieldValueForbidden" &&
          reason != "FieldValueRequired" && reason != "FieldValueDuplicate") {
        errors->push_back(field_not_supported(
            rule_path + ".reason", reason,
            {"FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"}));
        continue;
      }
      out.rules_[node].push_back(std::move(rule));
    }
  }
  return out;
}

FieldErrors ValidationRules::validate(const json& object, const json* old) const {
  FieldErrors errors;
  if (root_ != nullptr && !rules_.empty()) walk(object, old, *root_, "", true, errors);
  return errors;
}

void ValidationRules::walk(const json& value, const json* old, const json& s, const std::string& path, bool is_root,
                           FieldErrors& errors) const {
  if (!s.is_object() || value.is_null()) return;
  if (old != nullptr && *old == value) return;  // ratcheting: rules do not re-judge unchanged values
  if (auto it = rules_.find(&s); it != rules_.end()) run(it->second, value, old, s, path, errors);
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      if (is_root && schema::is_root_meta_field(key)) continue;
      const json* child_schema = schema::property(s, key);
      if (child_schema == nullptr) continue;
      const json* old_child = old != nullptr && old->is_object() && old->contains(key) ? &(*old)[key] : nullptr;
      walk(child, old_child, *child_schema, child_path(path, key), false, errors);
    }
  } else if (value.is_array()) {
    if (const json* item_schema = schema::items(s))
      for (size_t i = 0; i < value.size(); ++i)
        walk(value[i], schema::correlated_item(s, old, value[i]), *item_schema, index_path(path, i), false, errors);
  }
}

void ValidationRules::run(const std::vector<Rule>& rules, const json& value, const json* old, const json& s,
                          const std::string& path, FieldErrors& errors) const {
  const cel::Value self = cel::to_cel_value(value, &s);
  const cel::Value old_self = old != nullptr ? cel::to_cel_value(*old, &s) : cel::Value();
  cel::Activation self_var{"self", self, nullptr};
  cel::Activation old_var{"oldSelf", old_self, &self_var};
  const cel::Activation* vars = old != nullptr ? &old_var : &self_var;
  // The schema's type stands for the value in messages: `Invalid value: "object": ...`.
  const std::string type = schema::type_of(s);
  for (const auto& rule : rules) {
    if (rule.program.uses_old_self && old == nullptr) continue;  // transition rules need an old value
    const std::string where = rule.field_path.empty() ? path : join_field_path(path, rule.field_path);
    const cel::Value result = cel::evaluate(*rule.program.root, vars);
    if (result.is(cel::Value::Kind::Bool) && result.as_bool()) continue;
    if (!result.is(cel::Value::Kind::Bool)) {
      const std::string why = result.is_error() ? result.as_string() : "no such overload";
      if (why.rfind("no such overload", 0) == 0)
        errors.push_back(field_invalid(path, type,
                                       "'" + why +
                                           "': call arguments did not match a supported operator, function or macro "
                                           "signature for rule: " +
                                           rule.program.expression));
      else
        errors.push_back(field_invalid(path, type, why + " evaluating rule: " + rule.program.expression));
      continue;
    }
    std::string message = rule.message.empty() ? "failed rule: " + rule.program.expression : rule.message;
    if (rule.message_expression) {
      const cel::Value m = cel::evaluate(*rule.message_expression->root, vars);
      if (m.is(cel::Value::Kind::String) && !m.as_string().empty()) message = m.as_string();
    }
    if (rule.reason == "FieldValueForbidden")
      errors.push_back(field_forbidden(where, message));
    else if (rule.reason == "FieldValueRequired")
      errors.push_back(field_required(where, message));
    else if (rule.reason == "FieldValueDuplicate")
      errors.push_back(field_duplicate(where, type));
    else
      errors.push_back(field_invalid(where, type, message));
  }
}

}  // namespace sso::apiserver
