#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/base64.hpp"
#include "base/result.hpp"

namespace sso::kube {

// data[key] of a Secret, base64-decoded: nullopt when absent, an error naming the key when it
// is not base64. Secret values may hold keys: never put them in errors.
inline Result<std::optional<std::string>> secret_value(const nlohmann::json& secret, const std::string& key) {
  if (!secret.is_object() || !secret.contains("data") || !secret["data"].is_object())
    return std::optional<std::string>();
  const nlohmann::json& data = secret["data"];
  if (!data.contains(key) || !data[key].is_string()) return std::optional<std::string>();
  auto decoded = base64_decode(data[key].get<std::string>());
  if (!decoded.ok()) return invalid_argument("data[" + key + "]: not valid base64");
  return std::optional<std::string>(std::move(*decoded));
}

}  // namespace sso::kube
