#include "cli/tls_material.hpp"

#include <yaml-cpp/yaml.h>

#include "base/base64.hpp"

namespace sso::cli {
namespace {

bool looks_like_pem(std::string_view input) {
  const size_t begin = input.find("-----BEGIN ");
  if (begin == std::string_view::npos) return false;
  // A manifest carrying PEM in stringData still starts with YAML keys before the PEM.
  const size_t kind = input.find("kind:");
  const size_t json_kind = input.find("\"kind\"");
  return (kind == std::string_view::npos || kind > begin) && (json_kind == std::string_view::npos || json_kind > begin);
}

Result<std::string> field(const YAML::Node& secret, const std::string& key, const std::string& where) {
  const YAML::Node data = secret["data"];
  if (data && data.IsMap() && data[key]) {
    if (!data[key].IsScalar()) return invalid_argument(where + ": data." + key + " is not a string");
    auto decoded = base64_decode(data[key].Scalar());
    if (!decoded.ok()) return std::move(decoded).error().add_context(where + ": data." + key);
    return *decoded;
  }
  const YAML::Node string_data = secret["stringData"];
  if (string_data && string_data.IsMap() && string_data[key]) {
    if (!string_data[key].IsScalar()) return invalid_argument(where + ": stringData." + key + " is not a string");
    return string_data[key].Scalar();
  }
  return std::string();
}

Result<TlsMaterial> read_secret_manifest(std::string_view input) {
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(input));
  } catch (const YAML::Exception& e) {
    return invalid_argument("neither PEM nor a readable Secret manifest: " + std::string(e.what()).substr(0, 200));
  }
  try {
    if (!doc.IsMap()) return invalid_argument("neither PEM nor a Secret manifest (a YAML or JSON object)");
    const YAML::Node kind = doc["kind"];
    if (!kind || !kind.IsScalar() || kind.Scalar() != "Secret")
      return invalid_argument("the manifest is not a Secret (kind: " +
                              (kind && kind.IsScalar() ? kind.Scalar().substr(0, 60) : std::string("missing")) + ")");
    std::string name = "Secret";
    const YAML::Node meta = doc["metadata"];
    if (meta && meta.IsMap()) {
      const YAML::Node ns = meta["namespace"];
      const YAML::Node n = meta["name"];
      name += " ";
      if (ns && ns.IsScalar()) name += ns.Scalar().substr(0, 63) + "/";
      if (n && n.IsScalar()) name += n.Scalar().substr(0, 253);
    }
    TlsMaterial out;
    out.source = name;
    SSO_ASSIGN_OR_RETURN(out.certificates_pem, field(doc, "tls.crt", name));
    SSO_ASSIGN_OR_RETURN(auto key, field(doc, "tls.key", name));
    out.key_pem = pki::SecretBytes(std::move(key));
    SSO_ASSIGN_OR_RETURN(out.ca_pem, field(doc, "ca.crt", name));
    if (out.certificates_pem.empty()) return invalid_argument(name + ": no tls.crt in data or stringData");
    return out;
  } catch (const YAML::Exception& e) {
    return invalid_argument("unreadable Secret manifest: " + std::string(e.what()).substr(0, 200));
  }
}

}  // namespace

Result<TlsMaterial> read_tls_material(std::string_view input) {
  if (input.size() > kMaxTlsInputBytes)
    return resource_exhausted("input of " + std::to_string(input.size()) + " bytes is over the limit of " +
                              std::to_string(kMaxTlsInputBytes));
  if (looks_like_pem(input)) {
    TlsMaterial out;
    out.source = "PEM";
    out.certificates_pem = std::string(input);
    return out;
  }
  return read_secret_manifest(input);
}

}  // namespace sso::cli
