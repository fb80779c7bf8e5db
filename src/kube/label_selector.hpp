#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"

namespace sso::kube {

using Labels = std::map<std::string, std::string>;

// metav1.LabelSelector: matchLabels and matchExpressions, ANDed. An empty selector
// matches everything, as in a NetworkPolicy's podSelector.
struct LabelSelector {
  struct Requirement {
    std::string key;
    std::string op;  // In, NotIn, Exists, DoesNotExist
    std::vector<std::string> values;
    bool operator==(const Requirement&) const = default;
  };
  Labels match_labels;
  std::vector<Requirement> match_expressions;

  bool empty() const { return match_labels.empty() && match_expressions.empty(); }
  bool matches(const Labels& labels) const;
  nlohmann::json to_json() const;
  bool operator==(const LabelSelector&) const = default;
};

// Reads a selector as kube-apiserver validates one (unversioned/validation.go): label keys
// and values, known operators, values given for In/NotIn and absent for Exists/DoesNotExist.
// `field` prefixes the error: "spec.selector.matchExpressions[0].operator: ...".
Result<LabelSelector> parse_label_selector(const nlohmann::json& value, const std::string& field);

// metadata.labels of an object (absent or malformed: empty).
Labels labels_of(const nlohmann::json& object);

// Qualified names and label values as apimachinery's IsQualifiedName / IsValidLabelValue.
Status validate_label_key(const std::string& key);
Status validate_label_value(const std::string& value);

}  // namespace sso::kube
