#include "apiserver/openapi.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "apiserver/custom_resource_schema.hpp"

namespace sso::apiserver {

using nlohmann::json;

namespace {

const std::string kSchemas = "#/components/schemas/";
const std::string kMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.";

// A reference with a description beside it: kube-openapi's v3 output wraps the reference in
// allOf, since OpenAPI 3.0 ignores the siblings of a bare $ref.
json ref(const std::string& name, const std::string& description) {
  return {{"allOf", json::array({{{"$ref", kSchemas + name}}})}, {"description", description}};
}

json string_property(const std::string& description) { return {{"type", "string"}, {"description", description}}; }

json string_map(const std::string& description) {
  return {{"type", "object"},
          {"additionalProperties", {{"type", "string"}, {"default", ""}}},
          {"description", description}};
}

// The meta/v1 definitions the published kinds refer to, with the first sentences of their
// upstream descriptions (k8s.io/apimachinery/pkg/apis/meta/v1/types.go).
json meta_definitions() {
  const std::string more = " More info: https://git.k8s.io/community/contributors/devel/sig-architecture/";
  json object_meta = {
      {"description",
       "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must "
       "create."},
      {"type", "object"},
      {"properties",
       {{"annotations",
         string_map("Annotations is an unstructured key value map stored with a resource that may be set "
                    "by external tools to store and retrieve arbitrary metadata.")},
        {"creationTimestamp", ref(kMeta + "Time",
                                  "CreationTimestamp is a timestamp representing the server time when this object was "
                                  "created. Populated by the system. Read-only.")},
        {"deletionGracePeriodSeconds",
         {{"type", "integer"},
          {"format", "int64"},
          {"description",
           "Number of seconds allowed for this object to gracefully terminate before it will be removed from the "
           "system. Only set when deletionTimestamp is also set. Read-only."}}},
        {"deletionTimestamp", ref(kMeta + "Time",
                                  "DeletionTimestamp is RFC 3339 date and time at which this resource will be "
                                  "deleted. Set by the server when a graceful deletion is requested. Read-only.")},
        {"finalizers",
         {{"type", "array"},
          {"items", {{"type", "string"}, {"default", ""}}},
          {"x-kubernetes-list-type", "set"},
          {"x-kubernetes-patch-strategy", "merge"},
          {"description",
           "Must be empty before the object is deleted from the registry. Each entry is an identifier for the "
           "responsible component that will remove the entry from the list."}}},
        {"generateName", string_property("GenerateName is an optional prefix, used by the server, to generate a "
                                         "unique name ONLY IF the Name field has not been provided.")},
        {"generation",
         {{"type", "integer"},
          {"format", "int64"},
          {"description",
           "A sequence number representing a specific generation of the desired state. Populated by the system. "
           "Read-only."}}},
        {"labels",
         string_map("Map of string keys and values that can be used to organize and categorize (scope and "
                    "select) objects. May match selectors of replication controllers and services. More info: "
                    "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels")},
        {"managedFields",
         {{"type", "array"},
          {"items", {{"$ref", kSchemas + kMeta + "ManagedFieldsEntry"}, {"default", json::object()}}},
          {"x-kubernetes-list-type", "atomic"},
          {"description",
           "ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow. This "
           "is mostly for internal housekeeping, and users typically shouldn't need to set or understand this "
           "field."}}},
        {"name", string_property("Name must be unique within a namespace. Is required when creating resources, "
                                 "although some resources may allow a client to request the generation of an "
                                 "appropriate name automatically. Cannot be updated.")},
        {"namespace", string_property("Namespace defines the space within which each name must be unique. An empty "
                                      "namespace is equivalent to the \"default\" namespace. Cannot be updated.")},
        {"ownerReferences",
         {{"type", "array"},
          {"items", {{"$ref", kSchemas + kMeta + "OwnerReference"}, {"default", json::object()}}},
          {"x-kubernetes-list-map-keys", {"uid"}},
          {"x-kubernetes-list-type", "map"},
          {"x-kubernetes-patch-merge-key", "uid"},
          {"x-kubernetes-patch-strategy", "merge"},
          {"description",
           "List of objects depended by this object. If ALL objects in the list have been deleted, this object "
           "will be garbage collected."}}},
        {"resourceVersion", string_property("An opaque value that represents the internal version of this object "
                                            "that can be used by clients to determine when objects have changed. "
                                            "Populated by the system. Read-only.")},
        {"selfLink", string_property("Deprecated: selfLink is a legacy read-only field that is no longer populated "
                                     "by the system.")},
        {"uid", string_property("UID is the unique in time and space value for this object. It is typically "
                                "generated by the server on successful creation of a resource and is not allowed "
                                "to change on PUT operations. Populated by the system. Read-only.")}}}};
  json managed_fields_entry = {
      {"description",
       "ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that the fieldset "
       "applies to."},
      {"type", "object"},
      {"properties",
       {{"apiVersion", string_property("APIVersion defines the version of this resource that this field set "
                                       "applies to.")},
        {"fieldsType",
         string_property("FieldsType is the discriminator for the different fields format and version. There is "
                         "currently only one possible value: \"FieldsV1\"")},
        {"fieldsV1", ref(kMeta + "FieldsV1",
                         "FieldsV1 holds the first JSON version format as described in the \"FieldsV1\" "
                         "type.")},
        {"manager", string_property("Manager is an identifier of the workflow managing these fields.")},
        {"operation", string_property("Operation is the type of operation which lead to this ManagedFieldsEntry "
                                      "being created. The only valid values for this field are 'Apply' and "
                                      "'Update'.")},
        {"subresource", string_property("Subresource is the name of the subresource used to update that object, or "
                                        "empty string if the object was updated through the main resource.")},
        {"time", ref(kMeta + "Time", "Time is the timestamp of when the ManagedFields entry was added.")}}}};
  json owner_reference = {
      {"description",
       "OwnerReference contains enough information to let you identify an owning object. An owning object must be "
       "in the same namespace as the dependent, or be cluster-scoped, so there is no namespace field."},
      {"type", "object"},
      {"required", {"apiVersion", "kind", "name", "uid"}},
      {"x-kubernetes-map-type", "atomic"},
      {"properties",
       {{"apiVersion", string_property("API version of the referent.")},
        {"blockOwnerDeletion",
         {{"type", "boolean"},
          {"description",
           "If true, AND if the owner has the \"foregroundDeletion\" finalizer, then the owner cannot be deleted "
           "from the key-value store until this reference is removed."}}},
        {"controller",
         {{"type", "boolean"},
          {"description",
           "If true, this reference points to the managing "
           "controller."}}},
        {"kind", string_property("Kind of the referent." + more + "api-conventions.md#types-kinds")},
        {"name", string_property("Name of the referent.")},
        {"uid", string_property("UID of the referent.")}}}};
  json list_meta = {
      {"description",
       "ListMeta describes metadata that synthetic resources must have, including lists and various status "
       "objects."},
      {"type", "object"},
      {"properties",
       {{"continue", string_property("continue may be set if the user set a limit on the number of items "
                                     "returned, and indicates that the server has more data available.")},
        {"remainingItemCount",
         {{"type", "integer"},
          {"format", "int64"},
          {"description",
           "remainingItemCount is the number of subsequent items in the list which are not included in this list "
           "response."}}},
        {"resourceVersion", string_property("String that identifies the server's internal version of this object "
                                            "that can be used by clients to determine when objects have changed. "
                                            "Populated by the system. Read-only.")},
        {"selfLink", string_property("Deprecated: selfLink is a legacy read-only field that is no longer populated "
                                     "by the system.")}}}};
  return {
      {kMeta + "FieldsV1",
       {{"description", "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format."},
        {"type", "object"}}},
      {kMeta + "ListMeta", list_meta},
      {kMeta + "ManagedFieldsEntry", managed_fields_entry},
      {kMeta + "ObjectMeta", object_meta},
      {kMeta + "OwnerReference", owner_reference},
      {kMeta + "Patch",
       {{"description", "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body."},
        {"type", "object"}}},
      {kMeta + "Time",
       {{"description",
         "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON. Wrappers are "
         "provided for many of the factory methods that the time package offers."},
        {"type", "string"},
        {"format", "date-time"}}},
  };
}

const std::string kApiVersionDescription =
    "APIVersion defines the versioned schema of this representation of an object. Servers should convert "
    "recognized schemas to the latest internal value, and may reject unrecognized values. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const std::string kKindDescription =
    "Kind is a string value representing the REST resource this object represents. Servers may infer this from "
    "the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
const std::string kMetadataDescription =
    "Standard object's metadata. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

// structuralschema's Unfold (int-or-string becomes an anyOf of integer and string) and the
// builder's addEmbeddedProperties (an embedded resource gets TypeMeta and ObjectMeta).
void unfold(json& schema) {
  if (!schema.is_object()) return;
  if (schema.contains("properties") && schema["properties"].is_object())
    for (auto& [name, property] : schema["properties"].items()) unfold(property);
  if (schema.contains("items")) unfold(schema["items"]);
  if (schema.contains("additionalProperties")) unfold(schema["additionalProperties"]);
  if (schema.value("x-kubernetes-int-or-string", false) && !schema.contains("anyOf"))
    schema["anyOf"] = json::array({{{"type", "integer"}}, {{"type", "string"}}});
  if (schema.value("x-kubernetes-embedded-resource", false)) {
    schema["properties"]["apiVersion"] = string_property(kApiVersionDescription);
    schema["properties"]["kind"] = string_property(kKindDescription);
    schema["properties"]["metadata"] = ref(kMeta + "ObjectMeta", kMetadataDescription);
    json& required = schema["required"];
    if (!required.is_array()) required = json::array();
    for (const char* field : {"kind", "apiVersion"})
      if (std::find(required.begin(), required.end(), field) == required.end()) required.push_back(field);
  }
}

// util.ToRESTFriendlyName: "secureservice.io/v1alpha1.SecureService" becomes
// "io.secureservice.v1alpha1.SecureService".
std::string definition_name(const std::string& group, const std::string& version, const std::string& kind) {
  std::vector<std::string> labels;
  std::stringstream in(group);
  for (std::string label; std::getline(in, label, '.');) labels.insert(labels.begin(), label);
  std::string name;
  for (const auto& label : labels) name += label + ".";
  return name + version + "." + kind;
}

json gvk(const ResourceType& type, const std::string& version, const std::string& kind) {
  return {{"group", type.group}, {"version", version}, {"kind", kind}};
}

// buildKubeNative: the CRD's schema with TypeMeta and an ObjectMeta reference; a version
// without a schema is published as a bare object.
json kind_schema(const ResourceType& type, const std::string& version) {
  const CustomResourceSchema* crd_schema = type.schema_for(version);
  json schema = {{"type", "object"}};
  if (crd_schema != nullptr && crd_schema->schema().is_object()) {
    schema = crd_schema->schema();
    unfold(schema);
    schema["properties"]["metadata"] = ref(kMeta + "ObjectMeta", kMetadataDescription);
    schema["properties"]["apiVersion"] = string_property(kApiVersionDescription);
    schema["properties"]["kind"] = string_property(kKindDescription);
  }
  schema["x-kubernetes-group-version-kind"] = json::array({gvk(type, version, type.kind)});
  return schema;
}

json list_schema(const ResourceType& type, const std::string& version) {
  const std::string list_kind = type.kind + "List";
  return {{"description", list_kind + " is a list of " + type.kind},
          {"type", "object"},
          {"required", {"items"}},
          {"properties",
           {{"apiVersion", string_property(kApiVersionDescription)},
            {"items",
             {{"type", "array"},
              {"items", {{"$ref", kSchemas + definition_name(type.group, version, type.kind)}}},
              {"description", "List of " + type.resource +
                                  ". More info: "
                                  "https://git.k8s.io/community/contributors/devel/sig-architecture/"
                                  "api-conventions.md"}}},
            {"kind", string_property(kKindDescription)},
            {"metadata", ref(kMeta + "ListMeta",
                             "Standard list metadata. More info: "
                             "https://git.k8s.io/community/contributors/devel/sig-architecture/"
                             "api-conventions.md#metadata")}}},
          {"x-kubernetes-group-version-kind", json::array({gvk(type, version, list_kind)})}};
}

json query_parameter(const std::string& name, const std::string& type, const std::string& description) {
  json schema = {{"type", type}};
  if (type == "string") schema["uniqueItems"] = true;
  return {{"name", name}, {"in", "query"}, {"description", description}, {"schema", schema}};
}

json path_parameter(const std::string& name, const std::string& description) {
  return {{"name", name},
          {"in", "path"},
          {"required", true},
          {"description", description},
          {"schema", {{"type", "string"}, {"uniqueItems", true}}}};
}

// The query parameters endpoints.AddObjectParams derives from the options each verb takes.
json verb_parameters(const std::string& action) {
  json params = json::array();
  if (action == "list") {
    params.push_back(query_parameter("continue", "string",
                                     "The continue option should be set when retrieving more "
                                     "results from the server."));
    params.push_back(query_parameter("fieldSelector", "string",
                                     "A selector to restrict the list of returned "
                                     "objects by their fields. Defaults to everything."));
    params.push_back(query_parameter("labelSelector", "string",
                                     "A selector to restrict the list of returned "
                                     "objects by their labels. Defaults to everything."));
    params.push_back(query_parameter("limit", "integer",
                                     "limit is a maximum number of responses to return for a "
                                     "list call."));
    params.push_back(query_parameter("resourceVersion", "string",
                                     "resourceVersion sets a constraint on what "
                                     "resource versions a request may be served from."));
    params.push_back(query_parameter("timeoutSeconds", "integer", "Timeout for the list/watch call."));
    params.push_back(query_parameter("watch", "boolean",
                                     "Watch for changes to the described resources and return "
                                     "them as a stream of add, update, and remove "
                                     "notifications."));
  } else if (action == "post" || action == "put" || action == "patch") {
    params.push_back(query_parameter("dryRun", "string",
                                     "When present, indicates that modifications should not be "
                                     "persisted."));
    params.push_back(query_parameter("fieldManager", "string",
                                     "fieldManager is a name associated with the actor "
                                     "or entity that is making these changes."));
    params.push_back(query_parameter(
        "fieldValidation", "string",
        "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing "
        "unknown or duplicate fields. Valid values are: Ignore, Warn (the default) and Strict."));
    if (action == "patch")
      params.push_back(query_parameter("force", "boolean",
                                       "Force is going to \"force\" Apply requests. It must be "
                                       "unset for non-apply patch requests."));
  }
  return params;
}

json operation(const ResourceType& type, const std::string& version, const std::string& action,
               const std::string& operation_id, const std::string& description, const std::string& response) {
  auto content = [](const std::string& schema_name) {
    const json schema = {{"schema", {{"$ref", kSchemas + schema_name}}}};
    return json{{"application/json", schema}, {"application/yaml", schema}};
  };
  json op = {
      {"description", description},
      {"operationId", operation_id},
      {"parameters", verb_parameters(action)},
      {"responses",
       {{"200", {{"description", "OK"}, {"content", content(response)}}}, {"401", {{"description", "Unauthorized"}}}}},
      {"x-kubernetes-action", action},
      {"x-kubernetes-group-version-kind", gvk(type, version, type.kind)}};
  if (op["parameters"].empty()) op.erase("parameters");
  if (action == "post" || action == "put") {
    const std::string kind = definition_name(type.group, version, type.kind);
    op["requestBody"] = {{"content", content(kind)}, {"required", true}};
    op["responses"]["201"] = {{"description", "Created"}, {"content", content(kind)}};
    if (action == "post") op["responses"]["202"] = {{"description", "Accepted"}, {"content", content(kind)}};
  } else if (action == "patch") {
    // No strategic merge patch: custom resources take JSON, merge and apply patches only, and
    // kubectl apply picks its patch type from this list.
    const json patch = {{"schema", {{"$ref", kSchemas + kMeta + "Patch"}}}};
    op["requestBody"] = {{"content",
                          {{"application/json-patch+json", patch},
                           {"application/merge-patch+json", patch},
                           {"application/apply-patch+yaml", patch}}},
                         {"required", true}};
  }
  return op;
}

// The routes generateBuilder registers, less the deletes (their Status responses would pull
// in more meta/v1 definitions than any client here reads).
void add_paths(json& paths, const ResourceType& type, const std::string& version) {
  const std::string kind = definition_name(type.group, version, type.kind);
  const std::string list = definition_name(type.group, version, type.kind + "List");
  const std::string scope = type.namespaced ? "Namespaced" : "";
  const std::string base = "/apis/" + type.group + "/" + version;
  const json pretty = query_parameter("pretty", "string", "If 'true', then the output is pretty printed.");
  const json namespace_param =
      path_parameter("namespace", "object name and auth scope, such as for teams and projects");
  const json name_param = path_parameter("name", "name of the " + type.kind);

  std::string root = base + "/" + type.resource;
  if (type.namespaced) {
    paths[root] = {{"get", operation(type, version, "list", "list" + type.kind + "ForAllNamespaces",
                                     "list objects of kind " + type.kind, list)},
                   {"parameters", json::array({pretty})}};
    root = base + "/namespaces/{namespace}/" + type.resource;
  }
  json scoped = type.namespaced ? json::array({namespace_param, pretty}) : json::array({pretty});
  paths[root] = {
      {"get", operation(type, version, "list", "list" + scope + type.kind, "list objects of kind " + type.kind, list)},
      {"post", operation(type, version, "post", "create" + scope + type.kind, "create a " + type.kind, kind)},
      {"parameters", scoped}};
  json named = scoped;
  named.insert(named.begin(), name_param);
  auto item = [&](const std::string& suffix, const std::string& of) {
    return json{{"get", operation(type, version, "get", "read" + scope + type.kind + suffix,
                                  "read" + of + " the specified " + type.kind, kind)},
                {"put", operation(type, version, "put", "replace" + scope + type.kind + suffix,
                                  "replace" + of + " the specified " + type.kind, kind)},
                {"patch", operation(type, version, "patch", "patch" + scope + type.kind + suffix,
                                    "partially update" + of + " the specified " + type.kind, kind)},
                {"parameters", named}};
  };
  paths[root + "/{name}"] = item("", "");
  if (type.has_status) paths[root + "/{name}/status"] = item("Status", " status of");
}

std::string sha512_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  size_t length = 0;
  if (EVP_Q_digest(nullptr, "SHA512", nullptr, data.data(), data.size(), digest, &length) != 1)
    throw std::runtime_error("SHA-512 unavailable");
  std::string hex;
  char byte[3];
  for (size_t i = 0; i < length; ++i) {
    std::snprintf(byte, sizeof byte, "%02X", digest[i]);
    hex += byte;
  }
  return hex;
}

bool serves(const ResourceType& type, const std::string& version) {
  return type.from_crd && std::find(type.versions.begin(), type.versions.end(), version) != type.versions.end();
}

}  // namespace

std::optional<json> openapi_v3_document(const std::vector<ResourceType>& types, const std::string& group,
                                        const std::string& version) {
  json paths = json::object();
  json schemas = json::object();
  for (const auto& type : types) {
    if (type.group != group || !serves(type, version)) continue;
    add_paths(paths, type, version);
    schemas[definition_name(group, version, type.kind)] = kind_schema(type, version);
    schemas[definition_name(group, version, type.kind + "List")] = list_schema(type, version);
  }
  if (schemas.empty()) return std::nullopt;
  schemas.update(meta_definitions());
  return json{{"openapi", "3.0.0"},
              {"info", {{"title", "Kubernetes CRD Swagger"}, {"version", "v0.1.0"}}},
              {"paths", paths},
              {"components", {{"schemas", schemas}}}};
}

json openapi_v3_index(const std::vector<ResourceType>& types) {
  json paths = json::object();
  for (const auto& type : types) {
    if (!type.from_crd) continue;
    for (const auto& version : type.versions) {
      const std::string key = "apis/" + type.group + "/" + version;
      if (paths.contains(key)) continue;
      if (auto document = openapi_v3_document(types, type.group, version))
        paths[key] = {{"serverRelativeURL", "/openapi/v3/" + key + "?hash=" + sha512_hex(document->dump())}};
    }
  }
  return {{"paths", paths}};
}

}  // namespace sso::apiserver
