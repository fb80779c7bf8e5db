#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "apiserver/resource_types.hpp"

namespace sso::apiserver {

// A response: an HTTP code and a JSON body (an object, a list or a `kind: Status`).
struct ApiResponse {
  int code = 200;
  nlohmann::json body;  // a string body is sent as it is, with content_type
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
};

// `kind: Status` failures with kube-apiserver's reasons, codes and message forms
// (apimachinery pkg/api/errors/errors.go).
ApiResponse status_error(int code, const std::string& reason, const std::string& message,
                         nlohmann::json details = nullptr);

// "secrets" or "deployments.apps", as messages and details name a resource.
std::string qualified_resource(const ResourceType& type);

ApiResponse not_found(const ResourceType& type, const std::string& name);
ApiResponse already_exists(const ResourceType& type, const std::string& name);
ApiResponse conflict(const ResourceType& type, const std::string& name, const std::string& why);
ApiResponse invalid(const ResourceType& type, const std::string& name, const std::string& field,
                    const std::string& detail);
ApiResponse bad_request(const std::string& message);
ApiResponse gone(const std::string& message);  // 410, reason Expired
ApiResponse forbidden(const std::string& message);
ApiResponse method_not_allowed(const std::string& message);
ApiResponse unsupported_media_type(const std::string& content_type);

nlohmann::json success_status(const ResourceType& type, const std::string& name);

}  // namespace sso::apiserver
