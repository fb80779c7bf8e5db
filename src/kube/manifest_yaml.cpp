#include "kube/manifest_yaml.hpp"

#include <regex>

#include <yaml-cpp/yaml.h>

namespace sso::kube {
namespace {

using nlohmann::json;

// YAML 1.2 core schema, which is what sigs.k8s.io/yaml (go-yaml v2 underneath) reads for
// plain scalars that matter in manifests: booleans, null, integers and floats.
json plain_scalar(const std::string& s) {
  static const std::regex kInt("^[-+]?[0-9]+$");
  static const std::regex kFloat("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$");
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s.empty() || s == "null" || s == "Null" || s == "NULL" || s == "~") return nullptr;
  if (std::regex_match(s, kInt)) {
    try {
      return std::stoll(s);
    } catch (const std::exception&) {
      return s;  // out of range: keep the text
    }
  }
  if (std::regex_match(s, kFloat)) {
    try {
      return std::stod(s);
    } catch (const std::exception&) {
      return s;
    }
  }
  return s;
}

Result<json> to_json(const YAML::Node& node, const std::string& where, int depth) {
  if (depth > 100) return invalid_argument(where + ": nested too deeply");
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) return invalid_argument(where + ": a mapping key is not a string");
        const std::string key = kv.first.Scalar();
        SSO_ASSIGN_OR_RETURN(out[key], to_json(kv.second, where.empty() ? key : where + "." + key, depth + 1));
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      size_t i = 0;
      for (const auto& item : node) {
        SSO_ASSIGN_OR_RETURN(json v, to_json(item, where + "[" + std::to_string(i++) + "]", depth + 1));
        out.push_back(std::move(v));
      }
      return out;
    }
    case YAML::NodeType::Scalar:
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") return json(node.Scalar());  // quoted
      return plain_scalar(node.Scalar());
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return json(nullptr);
  }
  return json(nullptr);
}

bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  const json read_back = plain_scalar(s);
  if (!read_back.is_string()) return true;
  // Also quote what YAML 1.1 readers (yaml-cpp, PyYAML) take for booleans, and indicators.
  static const std::regex kYaml11Bool("^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$");
  // And YAML 1.1 timestamps (an RFC 3339 annotation value), which PyYAML reads as a datetime.
  static const std::regex kYaml11Timestamp(
      "^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\\.[0-9]*)?"
      "([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?$");
  return std::regex_match(s, kYaml11Bool) || std::regex_match(s, kYaml11Timestamp);
}

void emit(YAML::Emitter& out, const json& value) {
  switch (value.type()) {
    case json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [k, v] : value.items()) {
        out << YAML::Key << k << YAML::Value;
        emit(out, v);
      }
      out << YAML::EndMap;
      break;
    case json::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& v : value) emit(out, v);
      out << YAML::EndSeq;
      break;
    case json::value_t::string: {
      const std::string& s = value.get_ref<const std::string&>();
      if (s.find('\n') != std::string::npos)
        out << YAML::Literal << s;
      else if (needs_quotes(s))
        out << YAML::DoubleQuoted << s;
      else
        out << s;
      break;
    }
    case json::value_t::boolean: out << (value.get<bool>() ? "true" : "false"); break;
    case json::value_t::null: out << YAML::Null; break;
    default: out << value.dump(); break;  // numbers as JSON writes them
  }
}

}  // namespace

Result<std::vector<json>> read_manifests(std::string_view text, const std::string& source) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return invalid_argument(source + ": not valid YAML: line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  std::vector<json> objects;
  for (size_t i = 0; i < docs.size(); ++i) {
    const std::string where = source + ": document " + std::to_string(i + 1);
    if (docs[i].IsNull()) continue;
    auto doc = to_json(docs[i], "", 0);
    if (!doc.ok()) return invalid_argument(where + ": " + doc.error().message());
    if (!doc->is_object()) return invalid_argument(where + ": not an object");
    auto check = [&](const json& o, const std::string& at) -> Status {
      if (!o.is_object() || !o.contains("apiVersion") || !o["apiVersion"].is_string() || !o.contains("kind") ||
          !o["kind"].is_string())
        return invalid_argument(at + ": Object 'apiVersion' and 'Kind' must be set");
      return {};
    };
    SSO_RETURN_IF_ERROR(check(*doc, where));
    if ((*doc)["kind"] == "List") {
      const json& items = (*doc)["items"];
      if (!items.is_array()) return invalid_argument(where + ": items: a List needs a list of items");
      for (size_t j = 0; j < items.size(); ++j) {
        SSO_RETURN_IF_ERROR(check(items[j], where + ": items[" + std::to_string(j) + "]"));
        objects.push_back(items[j]);
      }
      continue;
    }
    objects.push_back(std::move(*doc));
  }
  return objects;
}

std::string write_manifests(const std::vector<json>& objects) {
  std::string out;
  for (size_t i = 0; i < objects.size(); ++i) {
    YAML::Emitter emitter;
    emitter.SetIndent(2);
    emitter.SetSeqFormat(YAML::Block);
    emit(emitter, objects[i]);
    if (i > 0) out += "---\n";
    out += emitter.c_str();
    out += "\n";
  }
  return out;
}

}  // namespace sso::kube
