#include "apiserver/table_convertor.hpp"

#include <sstream>

#include "apiserver/custom_resource_schema.hpp"
#include "apiserver/json_path.hpp"
#include "base/time.hpp"

namespace sso::apiserver {

using nlohmann::json;

namespace {

const char* kNameDescription =
    "Name must be unique within a namespace. Is required when creating resources, although some resources may allow "
    "a client to request the generation of an appropriate name automatically. Name is primarily intended for "
    "creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const char* kAgeDescription =
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is "
    "represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

std::string trim(std::string s) {
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

json column(const std::string& name, const std::string& type, const std::string& description,
            const std::string& format = "", int64_t priority = 0) {
  return {{"name", name}, {"type", type}, {"format", format}, {"description", description}, {"priority", priority}};
}

std::string age(const json& object, std::chrono::system_clock::time_point now) {
  const std::string created = object["metadata"].value("creationTimestamp", "");
  auto t = parse_rfc3339(created);
  if (!t.ok()) return "<unknown>";
  return human_duration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
}

// A cell of an additionalPrinterColumn (tableconvertor's cellForJSONValue).
json cell_for(const std::string& type, const json& value, std::chrono::system_clock::time_point now) {
  if (value.is_null()) return nullptr;
  if (type == "string") return value.is_string() ? value : json(value.dump());
  if (type == "integer") {
    if (value.is_number_integer()) return value;
    if (value.is_number()) return static_cast<int64_t>(value.get<double>());
    return nullptr;
  }
  if (type == "number") return value.is_number() ? json(value.get<double>()) : json(nullptr);
  if (type == "boolean") return value.is_boolean() ? value : json(nullptr);
  if (type == "date") {
    if (!value.is_string()) return nullptr;
    auto t = parse_rfc3339(value.get<std::string>());
    if (!t.ok()) return "<invalid>";
    return human_duration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
  }
  return nullptr;
}

json builtin_columns(const ResourceType& type) {
  json columns = json::array({column("Name", "string", kNameDescription, "name")});
  if (type.group.empty() && type.resource == "namespaces")
    columns.push_back(column("Status", "string", "The status of the namespace"));
  if (type.group.empty() && type.resource == "configmaps") columns.push_back(column("Data", "string", "Data"));
  if (type.group.empty() && type.resource == "secrets") {
    columns.push_back(column("Type", "string", "Type"));
    columns.push_back(column("Data", "string", "Data"));
  }
  if (type.group.empty() && type.resource == "serviceaccounts")
    columns.push_back(column("Secrets", "string", "Secrets"));
  columns.push_back(column("Age", "string", kAgeDescription));
  return columns;
}

json builtin_cells(const ResourceType& type, const json& object, std::chrono::system_clock::time_point now) {
  json cells = json::array({object["metadata"].value("name", "")});
  auto count = [&](const char* a, const char* b = nullptr) {
    int64_t n = 0;
    for (const char* key : {a, b})
      if (key != nullptr && object.contains(key) && (object[key].is_object() || object[key].is_array()))
        n += static_cast<int64_t>(object[key].size());
    return n;
  };
  if (type.group.empty() && type.resource == "namespaces")
    cells.push_back(object.value("status", json::object()).value("phase", ""));
  if (type.group.empty() && type.resource == "configmaps") cells.push_back(count("data", "binaryData"));
  if (type.group.empty() && type.resource == "secrets") {
    cells.push_back(object.value("type", ""));
    cells.push_back(count("data"));
  }
  if (type.group.empty() && type.resource == "serviceaccounts") cells.push_back(count("secrets"));
  cells.push_back(age(object, now));
  return cells;
}

json row_object(const json& object, const ResourceType& type, const std::string& version, const TableRequest& request) {
  if (request.include_object == "None") return nullptr;
  if (request.include_object == "Object") {
    json full = object;
    full["apiVersion"] = type.group_version(version);
    full["kind"] = type.kind;
    return full;
  }
  return {{"kind", "PartialObjectMetadata"},
          {"apiVersion", request.api_version},
          {"metadata", object.value("metadata", json::object())}};
}

}  // namespace

bool valid_include_object(const std::string& include_object) {
  return include_object.empty() || include_object == "Object" || include_object == "Metadata" ||
         include_object == "None";
}

std::optional<TableRequest> wants_table(const std::string& accept, const std::string& include_object) {
  std::stringstream clauses(accept);
  std::string clause;
  while (std::getline(clauses, clause, ',')) {
    std::stringstream parts(clause);
    std::string part;
    std::getline(parts, part, ';');
    const std::string media = trim(part);
    std::string as, v, g;
    while (std::getline(parts, part, ';')) {
      part = trim(part);
      const auto eq = part.find('=');
      if (eq == std::string::npos) continue;
      const std::string key = part.substr(0, eq), value = part.substr(eq + 1);
      if (key == "as") as = value;
      if (key == "v") v = value;
      if (key == "g") g = value;
    }
    if ((media == "application/json" || media == "*/*") && as == "Table" && g == "meta.k8s.io" &&
        (v == "v1" || v == "v1beta1"))
      return TableRequest{"meta.k8s.io/" + v, include_object.empty() ? "Metadata" : include_object};
    if (as.empty()) return std::nullopt;  // a plain type preferred over a table
  }
  return std::nullopt;
}

json to_table(const ResourceType& type, const std::string& version, const json& object_or_list,
              const TableRequest& request, std::chrono::system_clock::time_point now, bool with_columns) {
  const CustomResourceSchema* schema = type.schema_for(version);
  json columns;
  std::vector<std::pair<std::optional<JsonPath>, std::string>> paths;  // per printer column
  if (schema != nullptr) {
    columns = json::array({column("Name", "string", kNameDescription, "name")});
    for (const auto& c : schema->printer_columns()) {
      const std::string jsonpath = c.value("jsonPath", "");
      paths.emplace_back(JsonPath::parse(jsonpath), c.value("type", "string"));
      columns.push_back(
          column(c.value("name", ""), c.value("type", "string"),
                 c.value("description", "Custom resource definition column (in JSONPath format): " + jsonpath),
                 c.value("format", ""), c.value("priority", int64_t{0})));
    }
  } else {
    columns = builtin_columns(type);
  }
  const bool is_list = object_or_list.contains("items") && object_or_list["items"].is_array();
  const json objects = is_list ? object_or_list["items"] : json::array({object_or_list});
  json rows = json::array();
  for (const auto& object : objects) {
    json cells;
    if (schema != nullptr) {
      cells = json::array({object["metadata"].value("name", "")});
      for (const auto& [path, column_type] : paths) {
        const auto found = path ? path->find(object) : std::vector<json>{};
        cells.push_back(found.empty() ? json(nullptr) : cell_for(column_type, found[0], now));
      }
    } else {
      cells = builtin_cells(type, object, now);
    }
    json row = {{"cells", cells}};
    if (json o = row_object(object, type, version, request); !o.is_null()) row["object"] = o;
    rows.push_back(std::move(row));
  }
  json meta = json::object();
  if (is_list) meta = object_or_list.value("metadata", json::object());
  json table = {{"kind", "Table"}, {"apiVersion", request.api_version}, {"metadata", meta}, {"rows", rows}};
  if (with_columns) table["columnDefinitions"] = columns;
  return table;
}

std::string human_duration(std::chrono::seconds d) {
  const long long seconds = d.count();
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return std::to_string(seconds) + "s";
  const long long minutes = seconds / 60;
  if (minutes < 10) {
    const long long s = seconds % 60;
    return s == 0 ? std::to_string(minutes) + "m" : std::to_string(minutes) + "m" + std::to_string(s) + "s";
  }
  if (minutes < 180) return std::to_string(minutes) + "m";
  const long long hours = seconds / 3600;
  if (hours < 8) {
    const long long m = minutes % 60;
    return m == 0 ? std::to_string(hours) + "h" : std::to_string(hours) + "h" + std::to_string(m) + "m";
  }
  if (hours < 48) return std::to_string(hours) + "h";
  if (hours < 24 * 8) {
    const long long h = hours % 24;
    return h == 0 ? std::to_string(hours / 24) + "d" : std::to_string(hours / 24) + "d" + std::to_string(h) + "h";
  }
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24) + "d";
  if (hours < 24 * 365 * 8) {
    const long long dy = (hours / 24) % 365;
    return dy == 0 ? std::to_string(hours / 24 / 365) + "y"
                   : std::to_string(hours / 24 / 365) + "y" + std::to_string(dy) + "d";
  }
  return std::to_string(hours / 24 / 365) + "y";
}

}  // namespace sso::apiserver
