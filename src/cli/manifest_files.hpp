#pragma once

#include <istream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/secure_service.hpp"
#include "base/result.hpp"

namespace sso::cli {

// An object of the input and where it came from ("shop.yaml: document 2", "list.yaml:
// document 1: items[3]").
struct ManifestObject {
  nlohmann::json object;
  std::string where;
};

// Every object in what -f names, as kubectl reads it: a file, "-" for stdin (read once, into
// `stdin_text`, however often it is named), or a directory's .yaml, .yml and .json files (not
// recursive) in name order, so that the result does not depend on the disk.
Result<std::vector<ManifestObject>> read_manifest_files(const std::vector<std::string>& paths, std::istream& in,
                                                        std::optional<std::string>& stdin_text);

Result<std::string> read_file(const std::string& path);

// A SecureService of the input, parsed and defaulted as the API server would, and where it
// came from.
struct SecureServiceInput {
  api::SecureService service;
  std::string where;
};

// The SecureServices among `objects`, in input order; other kinds are skipped (an input is
// often a whole app's manifests). One without a namespace is put in `default_ns` when that is
// not empty. A wrong apiVersion, a field the API server would refuse or a name defined twice
// is kInvalidArgument naming the document.
Result<std::vector<SecureServiceInput>> read_secure_services(const std::vector<ManifestObject>& objects,
                                                             const std::string& default_ns);

}  // namespace sso::cli
