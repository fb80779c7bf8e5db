#include "apiserver/schema_pruning.hpp"

#include <algorithm>

#include "apiserver/field_errors.hpp"
#include "apiserver/structural_schema.hpp"

namespace sso::apiserver {
namespace {

using nlohmann::json;

void prune(json& value, const json& s, const std::string& path, bool is_root, std::vector<std::string>& pruned) {
  if (value.is_array()) {
    if (const json* item_schema = schema::items(s))
      for (size_t i = 0; i < value.size(); ++i) prune(value[i], *item_schema, index_path(path, i), false, pruned);
    return;
  }
  if (!value.is_object()) return;
  const bool keep_meta = is_root || schema::is_embedded_resource(s);
  const bool preserve = schema::preserves_unknown_fields(s);
  const bool additional_allowed = s.is_object() && s.contains("additionalProperties") &&
                                  (s["additionalProperties"].is_object() || s["additionalProperties"] == true);
  for (auto it = value.begin(); it != value.end();) {
    const std::string key = it.key();
    if (keep_meta && schema::is_root_meta_field(key)) {
      ++it;
      continue;
    }
    if (const json* child = schema::property(s, key)) {
      prune(it.value(), *child, child_path(path, key), false, pruned);
      ++it;
    } else if (preserve || additional_allowed) {
      ++it;
    } else {
      pruned.push_back(child_path(path, key));
      it = value.erase(it);
    }
  }
}

}  // namespace

std::vector<std::string> prune_unknown_fields(json& object, const json& schema) {
  std::vector<std::string> pruned;
  prune(object, schema, "", true, pruned);
  std::sort(pruned.begin(), pruned.end());
  return pruned;
}

}  // namespace sso::apiserver
