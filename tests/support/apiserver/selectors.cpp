#include "apiserver/selectors.hpp"

#include <algorithm>
#include <cctype>

namespace sso::apiserver {
namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Splits on commas that are not inside parentheses.
std::vector<std::string> split_terms(const std::string& text, std::string* error) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth < 0) {
      *error = "unbalanced parentheses";
      return {};
    }
    if (c == ',' && depth == 0) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (depth != 0) *error = "unbalanced parentheses";
  if (!trim(cur).empty() || !out.empty()) out.push_back(trim(cur));
  return out;
}

bool valid_label_key(const std::string& key) {
  if (key.empty() || key.size() > 316) return false;
  const auto slash = key.find('/');
  const std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
  if (name.empty() || name.size() > 63) return false;
  if (!std::isalnum(static_cast<unsigned char>(name.front())) || !std::isalnum(static_cast<unsigned char>(name.back())))
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

struct Operator {
  std::string_view text;
  int code;
};

// Longest spellings first, so that "!=" is not read as "=".
constexpr Operator kLabelOperators[] = {{"!=", 1}, {"==", 0}, {"=", 0}, {" notin ", 3}, {" in ", 2}};
constexpr Operator kFieldOperators[] = {{"!=", 1}, {"==", 0}, {"=", 0}};

template <size_t N>
std::optional<std::pair<Operator, size_t>> find_operator(const std::string& term, const Operator (&ops)[N]) {
  for (const auto& op : ops)
    if (auto pos = term.find(op.text); pos != std::string::npos) return std::pair{op, pos};
  return std::nullopt;
}

// "(a, b,c)" -> {"a", "b", "c"}
bool parse_value_list(const std::string& list, std::vector<std::string>& values) {
  const auto open = list.find('(');
  const auto close = list.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return false;
  const std::string inner = list.substr(open + 1, close - open - 1);
  size_t start = 0;
  while (true) {
    const auto comma = inner.find(',', start);
    values.push_back(trim(inner.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) return true;
    start = comma + 1;
  }
}

std::optional<std::string> label_value(const nlohmann::json& labels, const std::string& key) {
  if (!labels.is_object() || !labels.contains(key) || !labels[key].is_string()) return std::nullopt;
  return labels[key].get<std::string>();
}

}  // namespace

std::optional<LabelSelector> LabelSelector::parse(const std::string& text, std::string* error) {
  LabelSelector selector;
  for (const std::string& term : split_terms(text, error)) {
    if (!error->empty()) return std::nullopt;
    if (term.empty()) {
      *error = "empty requirement in \"" + text + "\"";
      return std::nullopt;
    }
    Requirement r;
    if (term.front() == '!') {
      r.key = trim(term.substr(1));
      r.op = Op::kDoesNotExist;
    } else if (auto found = find_operator(term, kLabelOperators)) {
      const auto& [op, pos] = *found;
      r.key = trim(term.substr(0, pos));
      r.op = static_cast<Op>(op.code);
      const std::string rest = term.substr(pos + op.text.size());
      if (r.op == Op::kIn || r.op == Op::kNotIn) {
        if (!parse_value_list(rest, r.values)) {
          *error = "\"" + term + "\": expected a parenthesised list of values";
          return std::nullopt;
        }
      } else {
        r.values = {trim(rest)};
      }
    } else {
      r.key = term;
      r.op = Op::kExists;
    }
    if (!valid_label_key(r.key)) {
      *error = "invalid label key \"" + r.key + "\"";
      return std::nullopt;
    }
    selector.requirements_.push_back(std::move(r));
  }
  if (!error->empty()) return std::nullopt;
  return selector;
}

bool LabelSelector::matches(const nlohmann::json& labels) const {
  for (const auto& r : requirements_) {
    const auto value = label_value(labels, r.key);
    const bool in_values = value && std::find(r.values.begin(), r.values.end(), *value) != r.values.end();
    switch (r.op) {
      case Op::kEquals:
      case Op::kIn:
        if (!in_values) return false;
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        if (in_values) return false;  // a missing label matches != and notin, as upstream
        break;
      case Op::kExists:
        if (!value) return false;
        break;
      case Op::kDoesNotExist:
        if (value) return false;
        break;
    }
  }
  return true;
}

namespace {

// The field labels beyond metadata.name and metadata.namespace that kube-apiserver accepts,
// per resource (pkg/registry/core/*/strategy.go and pkg/apis/core/v1/conversion.go), each
// with where its value lives in the object.
const std::map<std::string, std::map<std::string, std::string>>& resource_fields() {
  static const std::map<std::string, std::map<std::string, std::string>> kFields = {
      {"events",
       {{"involvedObject.kind", "/involvedObject/kind"},
        {"involvedObject.namespace", "/involvedObject/namespace"},
        {"involvedObject.name", "/involvedObject/name"},
        {"involvedObject.uid", "/involvedObject/uid"},
        {"involvedObject.apiVersion", "/involvedObject/apiVersion"},
        {"involvedObject.resourceVersion", "/involvedObject/resourceVersion"},
        {"involvedObject.fieldPath", "/involvedObject/fieldPath"},
        {"reason", "/reason"},
        {"reportingComponent", "/reportingComponent"},
        {"source", "/source/component"},
        {"type", "/type"}}},
      {"secrets", {{"type", "/type"}}},
      {"pods",
       {{"spec.nodeName", "/spec/nodeName"},
        {"spec.serviceAccountName", "/spec/serviceAccountName"},
        {"status.phase", "/status/phase"}}},
  };
  return kFields;
}

}  // namespace

std::optional<FieldSelector> FieldSelector::parse(const std::string& text, const std::string& resource,
                                                  std::string* error) {
  FieldSelector selector;
  for (const std::string& term : split_terms(text, error)) {
    if (!error->empty()) return std::nullopt;
    auto found = find_operator(term, kFieldOperators);
    if (!found) {
      *error = "invalid selector: '" + text + "'; can't understand '" + term + "'";
      return std::nullopt;
    }
    const auto& [op, pos] = *found;
    Requirement r{trim(term.substr(0, pos)), op.code == 0, trim(term.substr(pos + op.text.size()))};
    if (r.field == "metadata.name" || r.field == "metadata.namespace") {
      r.pointer = r.field == "metadata.name" ? "/metadata/name" : "/metadata/namespace";
    } else if (auto fields = resource_fields().find(resource);
               fields != resource_fields().end() && fields->second.count(r.field)) {
      r.pointer = fields->second.at(r.field);
    } else {
      *error = "field label not supported: " + r.field;
      return std::nullopt;
    }
    selector.requirements_.push_back(std::move(r));
  }
  return selector;
}

bool FieldSelector::matches(const nlohmann::json& object) const {
  for (const auto& r : requirements_) {
    const nlohmann::json::json_pointer pointer(r.pointer);
    const nlohmann::json* value = object.contains(pointer) ? &object.at(pointer) : nullptr;
    const std::string actual = value && value->is_string() ? value->get<std::string>() : "";
    if ((actual == r.value) != r.equals) return false;
  }
  return true;
}

}  // namespace sso::apiserver
