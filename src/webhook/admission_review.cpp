#include "webhook/admission_review.hpp"

#include <array>
#include <utility>

namespace sso::webhook {
namespace {

using nlohmann::json;

constexpr std::string_view kApiVersion = "admission.k8s.io/v1";
constexpr std::string_view kKind = "AdmissionReview";
constexpr std::array<std::string_view, 4> kOperations = {"CREATE", "UPDATE", "DELETE", "CONNECT"};

// An offending value is shown, but only its start: the body can be megabytes of one string.
constexpr size_t kQuotedPrefix = 64;

// Dumping never throws: a string that is not UTF-8 has its bad bytes replaced (nlohmann's
// default handler throws type_error 316 on them).
std::string dump(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// `"value"`, JSON-escaped so that it stays on one line, cut after kQuotedPrefix bytes on a
// UTF-8 character boundary.
std::string quote(std::string_view value) {
  std::string shown(value);
  if (shown.size() > kQuotedPrefix) {
    size_t end = kQuotedPrefix;
    while (end > 0 && (static_cast<unsigned char>(shown[end]) & 0xC0) == 0x80) --end;
    shown.resize(end);
    shown += "...";
  }
  return dump(shown);
}

Error field_error(std::string_view path, std::string_view problem) {
  return invalid_argument(std::string(path) + ": " + std::string(problem));
}

Error wrong_type(std::string_view path, std::string_view want, const json& got) {
  return field_error(path, "want " + std::string(want) + ", got " + got.type_name());
}

// The member `key` of `object`, or nullptr when absent. nlohmann's value() would throw
// type_error when the key holds another type, and operator[] on a const object asserts.
json* member(json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// A string field: absent or null reads as empty, unless required.
Status read_string(json& object, const char* key, std::string_view path, bool required, std::string& out) {
  const json* value = member(object, key);
  if (value == nullptr || value->is_null()) {
    if (required) return field_error(path, "missing");
    return ok_status();
  }
  if (!value->is_string()) return wrong_type(path, "a string", *value);
  out = value->get_ref<const std::string&>();
  if (required && out.empty()) return field_error(path, "empty");
  return ok_status();
}

// A member that must be a JSON object.
Result<json*> object_member(json& parent, const char* key, std::string_view path) {
  json* value = member(parent, key);
  if (value == nullptr || value->is_null()) return field_error(path, "missing");
  if (!value->is_object()) return wrong_type(path, "an object", *value);
  return value;
}

// metav1.GroupVersionKind: group is empty for the core API group.
Status read_kind(json& request, GroupVersionKind& out) {
  SSO_ASSIGN_OR_RETURN(json * kind, object_member(request, "kind", "request.kind"));
  SSO_RETURN_IF_ERROR(read_string(*kind, "group", "request.kind.group", false, out.group));
  SSO_RETURN_IF_ERROR(read_string(*kind, "version", "request.kind.version", true, out.version));
  SSO_RETURN_IF_ERROR(read_string(*kind, "kind", "request.kind.kind", true, out.kind));
  return ok_status();
}

Status read_resource(json& request, GroupVersionResource& out) {
  SSO_ASSIGN_OR_RETURN(json * resource, object_member(request, "resource", "request.resource"));
  SSO_RETURN_IF_ERROR(read_string(*resource, "group", "request.resource.group", false, out.group));
  SSO_RETURN_IF_ERROR(read_string(*resource, "version", "request.resource.version", true, out.version));
  SSO_RETURN_IF_ERROR(read_string(*resource, "resource", "request.resource.resource", true, out.resource));
  return ok_status();
}

Status read_operation(json& request, std::string& out) {
  SSO_RETURN_IF_ERROR(read_string(request, "operation", "request.operation", true, out));
  for (const auto operation : kOperations) {
    if (out == operation) return ok_status();
  }
  return field_error("request.operation " + quote(out), "want CREATE, UPDATE, DELETE or CONNECT");
}

// authenticationv1.UserInfo; extra is not read.
Status read_user_info(json& request, UserInfo& out) {
  json* user = member(request, "userInfo");
  if (user == nullptr || user->is_null()) return ok_status();
  if (!user->is_object()) return wrong_type("request.userInfo", "an object", *user);
  SSO_RETURN_IF_ERROR(read_string(*user, "username", "request.userInfo.username", false, out.username));
  SSO_RETURN_IF_ERROR(read_string(*user, "uid", "request.userInfo.uid", false, out.uid));
  const json* groups = member(*user, "groups");
  if (groups == nullptr || groups->is_null()) return ok_status();
  if (!groups->is_array()) return wrong_type("request.userInfo.groups", "an array of strings", *groups);
  out.groups.reserve(groups->size());
  for (const json& group : *groups) {
    if (!group.is_string()) {
      return wrong_type("request.userInfo.groups[" + std::to_string(out.groups.size()) + "]", "a string", group);
    }
    out.groups.push_back(group.get<std::string>());
  }
  return ok_status();
}

// object and oldObject are moved, not copied: copying a json value recurses once per level of
// nesting, and the body is untrusted.
Status take_object(json& request, const char* key, std::string_view path, json& out) {
  json* value = member(request, key);
  if (value == nullptr || value->is_null()) {
    out = nullptr;
    return ok_status();
  }
  if (!value->is_object()) return wrong_type(path, "an object or null", *value);
  out = std::move(*value);
  return ok_status();
}

Status read_dry_run(json& request, bool& out) {
  const json* value = member(request, "dryRun");
  if (value == nullptr || value->is_null()) return ok_status();  // *bool in k8s.io/api: omitted means false
  if (!value->is_boolean()) return wrong_type("request.dryRun", "a boolean", *value);
  out = value->get<bool>();
  return ok_status();
}

Status check_envelope(json& review) {
  const json* api_version = member(review, "apiVersion");
  if (api_version == nullptr || api_version->is_null()) {
    return field_error("apiVersion", "missing, want " + std::string(kApiVersion));
  }
  if (!api_version->is_string()) return wrong_type("apiVersion", "a string", *api_version);
  const auto& version = api_version->get_ref<const std::string&>();
  if (version != kApiVersion) {
    // kube-apiserver sends the first version in the webhook's admissionReviewVersions it knows.
    return field_error("apiVersion " + quote(version),
                       "only admission.k8s.io/v1 is served (v1beta1 is not): the webhook configuration must list "
                       "admissionReviewVersions [v1]");
  }
  const json* kind = member(review, "kind");
  if (kind == nullptr || kind->is_null()) return field_error("kind", "missing, want AdmissionReview");
  if (!kind->is_string()) return wrong_type("kind", "a string", *kind);
  if (kind->get_ref<const std::string&>() != kKind) {
    return field_error("kind " + quote(kind->get_ref<const std::string&>()), "want AdmissionReview");
  }
  return ok_status();
}

}  // namespace

Result<AdmissionRequest> decode_admission_review(std::string_view body) {
  json review = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (review.is_discarded()) {
    return invalid_argument("body: not valid JSON (" + std::to_string(body.size()) + " bytes)");
  }
  if (!review.is_object()) return wrong_type("body", "an AdmissionReview object", review);
  SSO_RETURN_IF_ERROR(check_envelope(review));
  SSO_ASSIGN_OR_RETURN(json * request_ptr, object_member(review, "request", "request"));
  json& request = *request_ptr;

  AdmissionRequest out;
  SSO_RETURN_IF_ERROR(read_string(request, "uid", "request.uid", true, out.uid));
  SSO_RETURN_IF_ERROR(read_kind(request, out.kind));
  SSO_RETURN_IF_ERROR(read_resource(request, out.resource));
  SSO_RETURN_IF_ERROR(read_string(request, "subResource", "request.subResource", false, out.sub_resource));
  SSO_RETURN_IF_ERROR(read_string(request, "name", "request.name", false, out.name));
  SSO_RETURN_IF_ERROR(read_string(request, "namespace", "request.namespace", false, out.ns));
  SSO_RETURN_IF_ERROR(read_operation(request, out.operation));
  SSO_RETURN_IF_ERROR(read_user_info(request, out.user_info));
  SSO_RETURN_IF_ERROR(take_object(request, "object", "request.object", out.object));
  SSO_RETURN_IF_ERROR(take_object(request, "oldObject", "request.oldObject", out.old_object));
  SSO_RETURN_IF_ERROR(read_dry_run(request, out.dry_run));
  return out;
}

std::string encode_admission_review(const AdmissionResponse& response) {
  // k8s.io/api/admission/v1 AdmissionResponse: status (a metav1.Status) is only consulted
  // when allowed is false; warnings are omitted when empty. decision_reason stays here.
  nlohmann::ordered_json answer = {{"uid", response.uid}, {"allowed", response.allowed}};
  if (!response.allowed) {
    answer["status"] = {
        {"code", response.code > 0 ? response.code : 403},
        {"reason", response.status_reason.empty() ? std::string("Forbidden") : response.status_reason},
        {"message", response.message},
    };
  }
  if (!response.warnings.empty()) answer["warnings"] = response.warnings;
  const nlohmann::ordered_json review = {
      {"apiVersion", std::string(kApiVersion)},
      {"kind", std::string(kKind)},
      {"response", std::move(answer)},
  };
  return dump(review);
}

AdmissionResponse allow(const AdmissionRequest& request, std::string decision_reason,
                        std::vector<std::string> warnings) {
  AdmissionResponse response;
  response.uid = request.uid;
  response.allowed = true;
  response.warnings = std::move(warnings);
  response.decision_reason = std::move(decision_reason);
  return response;
}

AdmissionResponse deny(const AdmissionRequest& request, std::string decision_reason, std::string message) {
  AdmissionResponse response;
  response.uid = request.uid;
  response.allowed = false;
  response.code = 403;
  response.status_reason = "Forbidden";
  response.message = std::move(message);
  response.decision_reason = std::move(decision_reason);
  return response;
}

std::string_view decision_of(const AdmissionResponse& response) {
  if (!response.allowed) return "denied";
  return response.warnings.empty() ? "allowed" : "warned";
}

}  // namespace sso::webhook
