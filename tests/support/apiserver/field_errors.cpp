#include "apiserver/field_errors.hpp"

#include <cmath>
#include <cstdio>

namespace sso::apiserver {

using nlohmann::json;

namespace {

// Go's %q for the strings the server meets: printable ASCII as is, the rest escaped.
std::string go_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// %v of a float64: whole numbers without a fraction, others in shortest form.
std::string go_float(double d) {
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e21) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", d);
    return buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

// %#v of an unstructured value inside a map: map[string]interface {}{"k":"v"}.
std::string go_sharp(const json& v) {
  if (v.is_null()) return "interface {}(nil)";
  if (v.is_string()) return go_quote(v.get<std::string>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) return go_float(v.get<double>());
  if (v.is_array()) {
    std::string out = "[]interface {}{";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + go_sharp(v[i]);
    return out + "}";
  }
  std::string out = "map[string]interface {}{";
  bool first = true;
  for (const auto& [k, item] : v.items()) {
    out += (first ? "" : ", ") + go_quote(k) + ":" + go_sharp(item);
    first = false;
  }
  return out + "}";
}

FieldError make(const char* reason, const std::string& field, std::string body, const std::string& detail) {
  if (!detail.empty()) body += ": " + detail;
  return {reason, field, std::move(body)};
}

}  // namespace

std::string format_bad_value(const json& value) {
  if (value.is_null()) return "\"null\"";
  if (value.is_string()) return go_quote(value.get<std::string>());
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_unsigned()) return std::to_string(value.get<uint64_t>());
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  if (value.is_number()) return go_float(value.get<double>());
  return go_sharp(value);
}

FieldError field_required(const std::string& field, const std::string& detail) {
  return make("FieldValueRequired", field, "Required value", detail);
}
FieldError field_invalid(const std::string& field, const json& value, const std::string& detail) {
  return make("FieldValueInvalid", field, "Invalid value: " + format_bad_value(value), detail);
}
FieldError field_type_invalid(const std::string& field, const json& value, const std::string& detail) {
  return make("FieldValueTypeInvalid", field, "Invalid value: " + format_bad_value(value), detail);
}
FieldError field_not_supported(const std::string& field, const json& value, const std::vector<std::string>& supported) {
  std::string detail;
  for (const auto& s : supported) detail += (detail.empty() ? "supported values: " : ", ") + go_quote(s);
  return make("FieldValueNotSupported", field, "Unsupported value: " + format_bad_value(value), detail);
}
FieldError field_duplicate(const std::string& field, const json& value) {
  return make("FieldValueDuplicate", field, "Duplicate value: " + format_bad_value(value), "");
}
FieldError field_forbidden(const std::string& field, const std::string& detail) {
  return make("FieldValueForbidden", field, "Forbidden", detail);
}
FieldError field_too_long(const std::string& field, int64_t max_length) {
  return make("FieldValueTooLong", field, "Too long",
              max_length >= 0 ? "may not be longer than " + std::to_string(max_length) : "value is too long");
}
FieldError field_too_many(const std::string& field, int64_t actual, int64_t max) {
  return make("FieldValueTooMany", field, "Too many: " + std::to_string(actual),
              "must have at most " + std::to_string(max) + " items");
}

std::string child_path(const std::string& parent, const std::string& name) {
  return parent.empty() ? name : parent + "." + name;
}
std::string index_path(const std::string& parent, size_t index) { return parent + "[" + std::to_string(index) + "]"; }
std::string key_path(const std::string& parent, const std::string& key) { return parent + "[" + key + "]"; }

ApiResponse invalid_object(const ResourceType& type, const std::string& name, const FieldErrors& errors) {
  // utilerrors.NewAggregate drops repeated messages.
  std::vector<std::string> messages;
  json causes = json::array();
  for (const auto& e : errors) {
    const std::string text = e.describe();
    if (std::find(messages.begin(), messages.end(), text) == messages.end()) messages.push_back(text);
    causes.push_back({{"reason", e.reason}, {"message", e.message}, {"field", e.field}});
  }
  std::string aggregate;
  if (messages.size() == 1) {
    aggregate = messages[0];
  } else {
    aggregate = "[";
    for (size_t i = 0; i < messages.size(); ++i) aggregate += (i ? ", " : "") + messages[i];
    aggregate += "]";
  }
  const std::string kind = type.group.empty() ? type.kind : type.kind + "." + type.group;
  json details = {{"name", name}, {"kind", type.kind}, {"causes", causes}};
  if (!type.group.empty()) details["group"] = type.group;
  return status_error(422, "Invalid", kind + " \"" + name + "\" is invalid: " + aggregate, std::move(details));
}

}  // namespace sso::apiserver
