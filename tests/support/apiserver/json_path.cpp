#include "apiserver/json_path.hpp"

#include <cctype>

namespace sso::apiserver {

using nlohmann::json;

std::optional<JsonPath> JsonPath::parse(const std::string& text) {
  JsonPath out;
  std::string e = text;
  if (e.size() >= 2 && e.front() == '{' && e.back() == '}') e = e.substr(1, e.size() - 2);
  size_t i = 0;
  if (i < e.size() && e[i] == '$') ++i;
  while (i < e.size()) {
    if (e[i] == '.') {
      ++i;
      size_t start = i;
      while (i < e.size() && e[i] != '.' && e[i] != '[') ++i;
      if (start == i) return std::nullopt;  // ".." (recursive descent) is not supported
      const std::string name = e.substr(start, i - start);
      if (name == "*")
        out.steps_.push_back({Step::Kind::Wildcard, "", 0, "", nullptr});
      else
        out.steps_.push_back({Step::Kind::Field, name, 0, "", nullptr});
    } else if (e[i] == '[') {
      const size_t close = e.find(']', i);
      if (close == std::string::npos) return std::nullopt;
      std::string inner = e.substr(i + 1, close - i - 1);
      if (inner.rfind("?(", 0) == 0) {
        // [?(@.field OP literal)] may itself contain ']' inside quotes; find the ")]".
        const size_t end = e.find(")]", i);
        if (end == std::string::npos) return std::nullopt;
        inner = e.substr(i + 3, end - i - 3);
        i = end + 2;
        if (inner.rfind("@.", 0) != 0) return std::nullopt;
        size_t p = 2;
        while (p < inner.size() && (std::isalnum(static_cast<unsigned char>(inner[p])) || inner[p] == '_' ||
                                    inner[p] == '-' || inner[p] == '.'))
          ++p;
        Step step{Step::Kind::Filter, inner.substr(2, p - 2), 0, "", nullptr};
        while (p < inner.size() && inner[p] == ' ') ++p;
        if (p < inner.size()) {
          for (const char* op : {"==", "!=", "<=", ">=", "<", ">"})
            if (inner.compare(p, std::char_traits<char>::length(op), op) == 0) {
              step.op = op;
              break;
            }
          if (step.op.empty()) return std::nullopt;
          std::string literal = inner.substr(p + step.op.size());
          while (!literal.empty() && literal.front() == ' ') literal.erase(0, 1);
          while (!literal.empty() && literal.back() == ' ') literal.pop_back();
          if (literal.size() >= 2 && (literal.front() == '"' || literal.front() == '\'') &&
              literal.back() == literal.front()) {
            step.operand = literal.substr(1, literal.size() - 2);
          } else {
            step.operand = json::parse(literal, nullptr, false);
            if (step.operand.is_discarded()) return std::nullopt;
          }
        }
        out.steps_.push_back(std::move(step));
        continue;
      }
      i = close + 1;
      if (inner == "*") {
        out.steps_.push_back({Step::Kind::Wildcard, "", 0, "", nullptr});
      } else if (inner.size() >= 2 && (inner.front() == '\'' || inner.front() == '"')) {
        out.steps_.push_back({Step::Kind::Field, inner.substr(1, inner.size() - 2), 0, "", nullptr});
      } else {
        char* end = nullptr;
        const long long index = std::strtoll(inner.c_str(), &end, 10);
        if (inner.empty() || *end != '\0') return std::nullopt;
        out.steps_.push_back({Step::Kind::Index, "", index, "", nullptr});
      }
    } else {
      return std::nullopt;
    }
  }
  return out;
}

namespace {

const json* field_of(const json& v, const std::string& dotted) {
  const json* cur = &v;
  size_t start = 0;
  while (start <= dotted.size()) {
    const size_t dot = dotted.find('.', start);
    const std::string name = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->contains(name)) return nullptr;
    cur = &(*cur)[name];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return cur;
}

bool holds(const json& left, const std::string& op, const json& right) {
  if (op == "==")
    return left == right || (left.is_number() && right.is_number() && left.get<double>() == right.get<double>());
  if (op == "!=") return !holds(left, "==", right);
  if (left.is_number() && right.is_number()) {
    const double a = left.get<double>(), b = right.get<double>();
    return op == "<" ? a < b : op == "<=" ? a <= b : op == ">" ? a > b : a >= b;
  }
  if (left.is_string() && right.is_string()) {
    const auto& a = left.get_ref<const std::string&>();
    const auto& b = right.get_ref<const std::string&>();
    return op == "<" ? a < b : op == "<=" ? a <= b : op == ">" ? a > b : a >= b;
  }
  return false;
}

}  // namespace

std::vector<json> JsonPath::find(const json& root) const {
  std::vector<const json*> current = {&root};
  for (const auto& step : steps_) {
    std::vector<const json*> next;
    for (const json* v : current) {
      switch (step.kind) {
        case Step::Kind::Field:
          if (v->is_object() && v->contains(step.name)) next.push_back(&(*v)[step.name]);
          break;
        case Step::Kind::Index:
          if (v->is_array()) {
            long long i = step.index < 0 ? static_cast<long long>(v->size()) + step.index : step.index;
            if (i >= 0 && i < static_cast<long long>(v->size())) next.push_back(&(*v)[static_cast<size_t>(i)]);
          }
          break;
        case Step::Kind::Wildcard:
          if (v->is_array() || v->is_object())
            for (const auto& item : *v) next.push_back(&item);
          break;
        case Step::Kind::Filter:
          if (v->is_array())
            for (const auto& item : *v) {
              const json* f = field_of(item, step.name);
              if (f != nullptr && (step.op.empty() || holds(*f, step.op, step.operand))) next.push_back(&item);
            }
          break;
      }
    }
    current = std::move(next);
  }
  std::vector<json> out;
  for (const json* v : current) out.push_back(*v);
  return out;
}

}  // namespace sso::apiserver
