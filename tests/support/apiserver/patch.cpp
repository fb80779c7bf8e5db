#include "apiserver/patch.hpp"

namespace sso::apiserver {

nlohmann::json apply_merge_patch(nlohmann::json target, const nlohmann::json& patch) {
  if (!patch.is_object()) return patch;
  if (!target.is_object()) target = nlohmann::json::object();
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      target.erase(key);
    } else {
      target[key] = apply_merge_patch(target.contains(key) ? target[key] : nlohmann::json(), value);
    }
  }
  return target;
}

std::optional<nlohmann::json> apply_json_patch(const nlohmann::json& target, const nlohmann::json& patch,
                                               std::string* error) {
  if (!patch.is_array()) {
    *error = "a JSON patch must be an array of operations";
    return std::nullopt;
  }
  try {
    // nlohmann implements RFC 6902, including "test".
    return target.patch(patch);
  } catch (const nlohmann::json::exception& e) {
    *error = std::string("the JSON patch could not be applied: ") + e.what();
    return std::nullopt;
  }
}

}  // namespace sso::apiserver
