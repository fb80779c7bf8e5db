#include "kube/label_selector.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

#include "kube/names.hpp"

namespace sso::kube {
namespace {

using nlohmann::json;

bool is_name_part(const std::string& s) {
  static const std::regex kNamePart("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$");
  return !s.empty() && s.size() <= 63 && std::regex_match(s, kNamePart);
}

}  // namespace

Status validate_label_key(const std::string& key) {
  const auto slash = key.find('/');
  if (slash != std::string::npos) {
    const std::string prefix = key.substr(0, slash);
    if (!is_dns_subdomain(prefix))
      return invalid_argument("label key \"" + key + "\": prefix part must be a lowercase RFC 1123 subdomain");
    if (!is_name_part(key.substr(slash + 1)))
      return invalid_argument("label key \"" + key +
                              "\": name part must be 63 characters or less, of alphanumerics, '-', '_' or '.', "
                              "starting and ending with an alphanumeric");
    return {};
  }
  if (!is_name_part(key))
    return invalid_argument("label key \"" + key +
                            "\": must be 63 characters or less, of alphanumerics, '-', '_' or '.', starting and "
                            "ending with an alphanumeric");
  return {};
}

Status validate_label_value(const std::string& value) {
  if (!value.empty() && !is_name_part(value))
    return invalid_argument("label value \"" + value +
                            "\": must be 63 characters or less, empty or of alphanumerics, '-', '_' or '.', "
                            "starting and ending with an alphanumeric");
  return {};
}

bool LabelSelector::matches(const Labels& labels) const {
  for (const auto& [key, value] : match_labels) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  for (const auto& r : match_expressions) {
    auto it = labels.find(r.key);
    const bool has = it != labels.end();
    const bool in = has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    if (r.op == "In" && !in) return false;
    if (r.op == "NotIn" && in) return false;
    if (r.op == "Exists" && !has) return false;
    if (r.op == "DoesNotExist" && has) return false;
  }
  return true;
}

json LabelSelector::to_json() const {
  json out = json::object();
  if (!match_labels.empty()) out["matchLabels"] = match_labels;
  if (!match_expressions.empty()) {
    json exprs = json::array();
    for (const auto& r : match_expressions) {
      json e = {{"key", r.key}, {"operator", r.op}};
      if (!r.values.empty()) e["values"] = r.values;
      exprs.push_back(std::move(e));
    }
    out["matchExpressions"] = std::move(exprs);
  }
  return out;
}

Result<LabelSelector> parse_label_selector(const json& value, const std::string& field) {
  if (!value.is_object()) return invalid_argument(field + ": must be an object");
  LabelSelector selector;
  for (const auto& [key, v] : value.items()) {
    if (key != "matchLabels" && key != "matchExpressions")
      return invalid_argument(std::string(field).append(": unknown field \"").append(key).append("\""));
  }
  if (value.contains("matchLabels")) {
    const json& labels = value["matchLabels"];
    if (!labels.is_object()) return invalid_argument(field + ".matchLabels: must be an object of strings");
    for (const auto& [key, v] : labels.items()) {
      const std::string where = std::string(field).append(".matchLabels[").append(key).append("]");
      if (!v.is_string()) return invalid_argument(where + ": must be a string");
      if (auto s = validate_label_key(key); !s.ok()) return invalid_argument(where + ": " + s.error().message());
      if (auto s = validate_label_value(v.get<std::string>()); !s.ok())
        return invalid_argument(where + ": " + s.error().message());
      selector.match_labels[key] = v.get<std::string>();
    }
  }
  if (value.contains("matchExpressions")) {
    const json& exprs = value["matchExpressions"];
    if (!exprs.is_array()) return invalid_argument(field + ".matchExpressions: must be a list");
    for (size_t i = 0; i < exprs.size(); ++i) {
      const std::string where = field + ".matchExpressions[" + std::to_string(i) + "]";
      const json& e = exprs[i];
      if (!e.is_object()) return invalid_argument(where + ": must be an object");
      LabelSelector::Requirement r;
      if (!e.contains("key") || !e["key"].is_string()) return invalid_argument(where + ".key: Required value");
      r.key = e["key"].get<std::string>();
      if (auto s = validate_label_key(r.key); !s.ok()) return invalid_argument(where + ".key: " + s.error().message());
      r.op = e.contains("operator") && e["operator"].is_string() ? e["operator"].get<std::string>() : "";
      if (r.op != "In" && r.op != "NotIn" && r.op != "Exists" && r.op != "DoesNotExist")
        return invalid_argument(where + ".operator: Unsupported value: \"" + r.op +
                                "\": supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\"");
      if (e.contains("values")) {
        if (!e["values"].is_array()) return invalid_argument(where + ".values: must be a list of strings");
        for (const auto& v : e["values"]) {
          if (!v.is_string()) return invalid_argument(where + ".values: must be a list of strings");
          if (auto s = validate_label_value(v.get<std::string>()); !s.ok())
            return invalid_argument(where + ".values: " + s.error().message());
          r.values.push_back(v.get<std::string>());
        }
      }
      const bool set_op = r.op == "In" || r.op == "NotIn";
      if (set_op && r.values.empty())
        return invalid_argument(where +
                                ".values: Required value: must be specified when `operator` is 'In' or 'NotIn'");
      if (!set_op && !r.values.empty())
        return invalid_argument(
            where + ".values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      selector.match_expressions.push_back(std::move(r));
    }
  }
  return selector;
}

Labels labels_of(const json& object) {
  Labels out;
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) return out;
  const json& meta = object["metadata"];
  if (!meta.contains("labels") || !meta["labels"].is_object()) return out;
  for (const auto& [k, v] : meta["labels"].items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

}  // namespace sso::kube
