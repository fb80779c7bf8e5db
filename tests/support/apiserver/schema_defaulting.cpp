#include "apiserver/schema_defaulting.hpp"

#include "apiserver/structural_schema.hpp"

namespace sso::apiserver {
namespace {

using nlohmann::json;

void default_node(json& value, const json& s, bool is_root) {
  if (value.is_array()) {
    if (const json* item_schema = schema::items(s))
      for (auto& item : value) default_node(item, *item_schema, false);
    return;
  }
  if (!value.is_object() || !s.is_object()) return;
  if (auto props = s.find("properties"); props != s.end() && props->is_object()) {
    for (const auto& [key, child] : props->items()) {
      if (is_root && schema::is_root_meta_field(key)) continue;
      if (!child.is_object()) continue;
      auto it = value.find(key);
      const bool missing = it == value.end();
      const bool null_not_allowed = !missing && it->is_null() && !child.value("nullable", false);
      if ((missing || null_not_allowed) && child.contains("default")) {
        value[key] = child["default"];
      } else if (null_not_allowed) {
        value.erase(key);
      }
    }
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (is_root && schema::is_root_meta_field(it.key())) continue;
    if (const json* child = schema::property(s, it.key())) default_node(it.value(), *child, false);
  }
}

}  // namespace

void apply_defaults(json& object, const json& schema) { default_node(object, schema, true); }

}  // namespace sso::apiserver
