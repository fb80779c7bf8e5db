#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sso::apiserver {

// client-go's typed clients (kubectl create namespace|secret|configmap, helm's release
// Secrets) send application/vnd.kubernetes.protobuf: the magic "k8s\0", then a
// runtime.Unknown whose `raw` field holds the object. This decodes the kinds those clients
// write (Namespace, Secret, ConfigMap, ServiceAccount, and DeleteOptions) into the JSON form the rest of the
// server handles; other kinds get nullopt and a message naming them.
std::optional<nlohmann::json> decode_protobuf_object(std::string_view body, std::string* error);

}  // namespace sso::apiserver
