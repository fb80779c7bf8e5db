#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sso::apiserver {

// Server-side apply's field ownership, as kube-apiserver records it in
// metadata.managedFields (fieldsType FieldsV1). Simplified from structured-merge-diff:
// lists are atomic (owned and replaced whole), where the real server merges lists that
// have merge keys (containers by name).
using FieldPath = std::vector<std::string>;
using FieldSet = std::set<FieldPath>;

// The leaf fields of an object, leaving out what the server owns (apiVersion, kind, status,
// and metadata's name, namespace, uid, resourceVersion, generation, timestamps, managedFields).
FieldSet fields_of(const nlohmann::json& object);

struct ApplyConflict {
  std::string manager;
  std::string field;  // ".data.mode"
};

struct ApplyOutcome {
  nlohmann::json object;
  std::vector<ApplyConflict> conflicts;  // non-empty: nothing was applied
};

// Applies `applied` for `manager` over `live` (null when the object does not exist yet):
// fields another manager owns with a different value conflict unless `force` (which takes
// them over); fields this manager applied before and now omits are removed unless another
// manager owns them too.
ApplyOutcome server_side_apply(const nlohmann::json& live, const nlohmann::json& applied, const std::string& manager,
                               bool force, const std::string& api_version, const std::string& now);

// Records a create, update or patch by `manager` (operation Update): the fields it changed
// become its own and leave every other manager.
void record_update(const nlohmann::json& before, nlohmann::json& after, const std::string& manager,
                   const std::string& api_version, const std::string& now);

}  // namespace sso::apiserver
