#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sso::apiserver {

// Reading a structural schema (apiextensions-apiserver pkg/apiserver/schema): the node of
// a child, the x-kubernetes-* markers, and the correlation of old and new list items that
// transition rules and ratcheting need.
namespace schema {

using nlohmann::json;

inline bool flag(const json& s, const char* name) { return s.is_object() && s.value(name, false); }
inline bool preserves_unknown_fields(const json& s) { return flag(s, "x-kubernetes-preserve-unknown-fields"); }
inline bool is_int_or_string(const json& s) { return flag(s, "x-kubernetes-int-or-string"); }
inline bool is_embedded_resource(const json& s) { return flag(s, "x-kubernetes-embedded-resource"); }
inline std::string type_of(const json& s) { return s.is_object() ? s.value("type", "") : ""; }

// The schema of property `name` of an object node: properties[name], else an
// additionalProperties schema; null when the node declares neither.
inline const json* property(const json& s, const std::string& name) {
  if (!s.is_object()) return nullptr;
  if (auto p = s.find("properties"); p != s.end() && p->is_object())
    if (auto it = p->find(name); it != p->end()) return &*it;
  if (auto a = s.find("additionalProperties"); a != s.end() && a->is_object()) return &*a;
  return nullptr;
}

inline const json* items(const json& s) {
  if (!s.is_object()) return nullptr;
  auto it = s.find("items");
  return it != s.end() && it->is_object() ? &*it : nullptr;
}

inline std::vector<std::string> list_map_keys(const json& s) {
  std::vector<std::string> keys;
  if (s.is_object() && s.contains("x-kubernetes-list-map-keys") && s["x-kubernetes-list-map-keys"].is_array())
    for (const auto& k : s["x-kubernetes-list-map-keys"])
      if (k.is_string()) keys.push_back(k.get<std::string>());
  return keys;
}

// The key of a list-type=map item: its key fields (missing ones as null).
inline json map_item_key(const json& item, const std::vector<std::string>& keys) {
  json key = json::object();
  for (const auto& k : keys) key[k] = item.is_object() && item.contains(k) ? item[k] : json(nullptr);
  return key;
}

// The old item a new list item stands for: only list-type=map items correlate (by key), as
// kube-apiserver correlates them for transition rules and ratcheting.
inline const json* correlated_item(const json& list_schema, const json* old_list, const json& item) {
  if (old_list == nullptr || !old_list->is_array()) return nullptr;
  if (!list_schema.is_object() || list_schema.value("x-kubernetes-list-type", "") != "map") return nullptr;
  const auto keys = list_map_keys(list_schema);
  const json key = map_item_key(item, keys);
  for (const auto& old : *old_list)
    if (map_item_key(old, keys) == key) return &old;
  return nullptr;
}

// The fields every object keeps at its root: kube-apiserver handles them as TypeMeta and
// ObjectMeta, never by the CRD's schema.
inline bool is_root_meta_field(const std::string& name) {
  return name == "apiVersion" || name == "kind" || name == "metadata";
}

}  // namespace schema
}  // namespace sso::apiserver
