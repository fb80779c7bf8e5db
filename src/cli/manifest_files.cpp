#include "cli/manifest_files.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "kube/manifest_yaml.hpp"
#include "kube/resource.hpp"

namespace sso::cli {
namespace {

Result<std::vector<std::string>> expand_paths(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& path : paths) {
    std::error_code ec;
    if (path == "-" || !std::filesystem::is_directory(path, ec)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      const std::string ext = entry.path().extension().string();
      if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json"))
        found.push_back(entry.path().string());
    }
    if (ec) return failed_precondition(path + ": " + ec.message());
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

// Where each object kube::read_manifests returns for `text` came from, numbered as its errors
// number them: empty documents count, a List's items are named by index.
std::vector<std::string> document_names(const std::string& text, const std::string& source) {
  std::vector<std::string> names;
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception&) {
    return names;  // read_manifests has already reported it
  }
  for (size_t i = 0; i < docs.size(); ++i) {
    const std::string where = source + ": document " + std::to_string(i + 1);
    if (docs[i].IsNull()) continue;
    const YAML::Node items = docs[i].IsMap() ? docs[i]["items"] : YAML::Node();
    if (docs[i].IsMap() && docs[i]["kind"] && docs[i]["kind"].IsScalar() && docs[i]["kind"].Scalar() == "List" &&
        items.IsSequence()) {
      for (size_t j = 0; j < items.size(); ++j) names.push_back(where + ": items[" + std::to_string(j) + "]");
      continue;
    }
    names.push_back(where);
  }
  return names;
}

}  // namespace

Result<std::string> read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return not_found(path + ": cannot open the file");
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

Result<std::vector<ManifestObject>> read_manifest_files(const std::vector<std::string>& paths, std::istream& in,
                                                        std::optional<std::string>& stdin_text) {
  SSO_ASSIGN_OR_RETURN(auto files, expand_paths(paths));
  std::vector<ManifestObject> out;
  for (const auto& file : files) {
    const std::string source = file == "-" ? "<stdin>" : file;
    std::string text;
    if (file == "-") {
      if (!stdin_text) stdin_text = std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      text = *stdin_text;
    } else {
      SSO_ASSIGN_OR_RETURN(text, read_file(file));
    }
    SSO_ASSIGN_OR_RETURN(auto objects, kube::read_manifests(text, source));
    const std::vector<std::string> names = document_names(text, source);
    for (size_t i = 0; i < objects.size(); ++i)
      out.push_back(
          {std::move(objects[i]), i < names.size() ? names[i] : source + ": object " + std::to_string(i + 1)});
  }
  return out;
}

Result<std::vector<SecureServiceInput>> read_secure_services(const std::vector<ManifestObject>& objects,
                                                             const std::string& default_ns) {
  std::vector<SecureServiceInput> inputs;
  std::map<std::string, std::string> seen;  // ns/name -> where
  for (const auto& source : objects) {
    const nlohmann::json& object = source.object;
    const std::string& where = source.where;
    const std::string api_version = kube::string_field(object, "apiVersion");
    if (kube::string_field(object, "kind") != api::kKind || !api_version.starts_with(std::string(api::kGroup) + "/"))
      continue;
    if (api_version != api::kApiVersion)
      return invalid_argument(where + ": apiVersion: Unsupported value: \"" + api_version + "\": want \"" +
                              std::string(api::kApiVersion) + "\"");
    auto parsed = [&] {
      if (default_ns.empty() || !kube::namespace_of(object).empty() || !object.contains("metadata") ||
          !object["metadata"].is_object())
        return api::parse_secure_service(object);
      nlohmann::json placed = object;
      placed["metadata"]["namespace"] = default_ns;
      return api::parse_secure_service(placed);
    }();
    if (!parsed.ok()) return invalid_argument(where + ": " + parsed.error().message());
    const std::string key = kube::object_key(parsed->ns, parsed->name);
    if (auto [it, inserted] = seen.emplace(key, where); !inserted)
      return invalid_argument(where + ": SecureService " + key + " is also defined at " + it->second);
    inputs.push_back({std::move(*parsed), where});
  }
  return inputs;
}

}  // namespace sso::cli
