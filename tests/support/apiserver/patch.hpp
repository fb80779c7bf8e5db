#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace sso::apiserver {

// RFC 7386 JSON merge patch: objects merge, null deletes, anything else replaces.
nlohmann::json apply_merge_patch(nlohmann::json target, const nlohmann::json& patch);

// RFC 6902 JSON patch (add, remove, replace, move, copy, test). Returns nullopt with
// `error` set when an operation fails; the target is then left as it was.
std::optional<nlohmann::json> apply_json_patch(const nlohmann::json& target, const nlohmann::json& patch,
                                               std::string* error);

}  // namespace sso::apiserver
