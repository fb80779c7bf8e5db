#pragma once

// What a command printed as YAML (`secureservice-operator render`, `helm template`) and the
// objects in it, for tests that look objects up by kind and name.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sso::testing {

struct RenderedObjects {
  int exit_code = -1;
  std::string yaml;
  std::string err;
  std::vector<nlohmann::json> objects;

  std::vector<nlohmann::json> of_kind(const std::string& kind) const {
    std::vector<nlohmann::json> out;
    std::copy_if(objects.begin(), objects.end(), std::back_inserter(out),
                 [&](const nlohmann::json& o) { return o.value("kind", "") == kind; });
    return out;
  }
  bool has(const std::string& kind, const std::string& name = "") const { return !named(kind, name).empty(); }
  // The one object of that kind (and name); a test failure, and an empty object, otherwise.
  nlohmann::json one(const std::string& kind, const std::string& name = "") const {
    const auto found = named(kind, name);
    if (found.size() != 1) {
      ADD_FAILURE() << "want one " << kind << " " << name << ", the output has " << found.size();
      return nlohmann::json{{"metadata", nlohmann::json::object()}, {"spec", nlohmann::json::object()}};
    }
    return found.front();
  }

 private:
  std::vector<nlohmann::json> named(const std::string& kind, const std::string& name) const {
    std::vector<nlohmann::json> out;
    for (const auto& o : of_kind(kind))
      if (name.empty() || o["metadata"].value("name", "") == name) out.push_back(o);
    return out;
  }
};

}  // namespace sso::testing
