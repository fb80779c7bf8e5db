#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sso::apiserver {

// The simple JSONPath of additionalPrinterColumns (client-go util/jsonpath, as the CRD
// table convertor uses it): `.a.b`, `['a.b']`, `[0]`, `[*]`, `[?(@.type=="Ready")]` with
// ==, !=, <, <=, >, >= against a string or number, or `[?(@.x)]` for presence. Missing keys
// give no results rather than an error (AllowMissingKeys).
class JsonPath {
 public:
  // nullopt when the expression is not one of the forms above.
  static std::optional<JsonPath> parse(const std::string& expression);
  std::vector<nlohmann::json> find(const nlohmann::json& root) const;

 private:
  struct Step {
    enum class Kind { Field, Index, Wildcard, Filter } kind;
    std::string name;  // Field; Filter: the field of @ compared
    long long index = 0;
    std::string op;  // Filter: "==", ..., or "" for presence
    nlohmann::json operand;
  };
  std::vector<Step> steps_;
};

}  // namespace sso::apiserver
