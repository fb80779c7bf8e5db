#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sso::apiserver {

// A label selector in the query-string form kube-apiserver parses (apimachinery
// pkg/labels/selector.go): "a=b,c!=d,e in (f,g),h notin (i),j,!k". "==" means "=".
class LabelSelector {
 public:
  // nullopt with `error` set when the text does not parse.
  static std::optional<LabelSelector> parse(const std::string& text, std::string* error);
  bool matches(const nlohmann::json& labels) const;
  bool empty() const { return requirements_.empty(); }

 private:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };
  std::vector<Requirement> requirements_;
};

// A field selector: "metadata.name=x,metadata.namespace!=y". kube-apiserver supports
// metadata.name and metadata.namespace for every resource, plus the fields each resource's
// strategy declares (GetAttrs / AddFieldLabelConversionFunc), e.g. events' involvedObject.*,
// reason and type, secrets' type, pods' spec.nodeName and status.phase.
class FieldSelector {
 public:
  static std::optional<FieldSelector> parse(const std::string& text, const std::string& resource, std::string* error);
  bool matches(const nlohmann::json& object) const;

 private:
  struct Requirement {
    std::string field;
    bool equals;
    std::string value;
    std::string pointer;  // where the value lives: "/involvedObject/name"
  };
  std::vector<Requirement> requirements_;
};

}  // namespace sso::apiserver
