#include "apiserver/status_errors.hpp"

namespace sso::apiserver {

ApiResponse status_error(int code, const std::string& reason, const std::string& message, nlohmann::json details) {
  nlohmann::json body = {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
                         {"status", "Failure"}, {"message", message}, {"reason", reason},
                         {"code", code}};
  if (!details.is_null()) body["details"] = std::move(details);
  return ApiResponse{code, std::move(body), "", {}};
}

std::string qualified_resource(const ResourceType& type) {
  return type.group.empty() ? type.resource : type.resource + "." + type.group;
}

namespace {
nlohmann::json details_of(const ResourceType& type, const std::string& name) {
  nlohmann::json d = {{"name", name}, {"kind", type.resource}};
  if (!type.group.empty()) d["group"] = type.group;
  return d;
}
}  // namespace

ApiResponse not_found(const ResourceType& type, const std::string& name) {
  return status_error(404, "NotFound", qualified_resource(type) + " \"" + name + "\" not found",
                      details_of(type, name));
}

ApiResponse already_exists(const ResourceType& type, const std::string& name) {
  return status_error(409, "AlreadyExists", qualified_resource(type) + " \"" + name + "\" already exists",
                      details_of(type, name));
}

ApiResponse conflict(const ResourceType& type, const std::string& name, const std::string& why) {
  return status_error(409, "Conflict",
                      "Operation cannot be fulfilled on " + qualified_resource(type) + " \"" + name + "\": " + why,
                      details_of(type, name));
}

ApiResponse invalid(const ResourceType& type, const std::string& name, const std::string& field,
                    const std::string& detail) {
  nlohmann::json details = details_of(type, name);
  details["kind"] = type.kind;
  details["causes"] = {{{"reason", "FieldValueInvalid"}, {"message", detail}, {"field", field}}};
  return status_error(422, "Invalid", type.kind + " \"" + name + "\" is invalid: " + field + ": " + detail,
                      std::move(details));
}

ApiResponse bad_request(const std::string& message) { return status_error(400, "BadRequest", message); }
ApiResponse gone(const std::string& message) { return status_error(410, "Expired", message); }
ApiResponse forbidden(const std::string& message) { return status_error(403, "Forbidden", message); }
ApiResponse method_not_allowed(const std::string& message) { return status_error(405, "MethodNotAllowed", message); }
ApiResponse unsupported_media_type(const std::string& content_type) {
  return status_error(415, "UnsupportedMediaType",
                      "the body of the request was in an unknown format - accepted "
                      "media types include: application/json, application/yaml, "
                      "application/merge-patch+json, application/json-patch+json, "
                      "application/strategic-merge-patch+json, "
                      "application/apply-patch+yaml (got " +
                          content_type + ")");
}

nlohmann::json success_status(const ResourceType& type, const std::string& name) {
  nlohmann::json d = {{"name", name}, {"kind", type.resource}};
  if (!type.group.empty()) d["group"] = type.group;
  return {{"kind", "Status"},
          {"apiVersion", "v1"},
          {"metadata", nlohmann::json::object()},
          {"status", "Success"},
          {"details", d}};
}

}  // namespace sso::apiserver
