#include "apiserver/managed_fields.hpp"

#include <algorithm>

#include "apiserver/patch.hpp"

namespace sso::apiserver {
namespace {

using nlohmann::json;

void collect(const json& value, FieldPath& path, FieldSet& out) {
  if (value.is_object() && !value.empty()) {
    for (const auto& [key, child] : value.items()) {
      path.push_back(key);
      collect(child, path, out);
      path.pop_back();
    }
  } else if (!path.empty()) {
    out.insert(path);
  }
}

const json* at(const json& object, const FieldPath& path) {
  const json* cur = &object;
  for (const auto& key : path) {
    if (!cur->is_object() || !cur->contains(key)) return nullptr;
    cur = &(*cur)[key];
  }
  return cur;
}

void erase_at(json& object, const FieldPath& path) {
  json* cur = &object;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (!cur->is_object() || !cur->contains(path[i])) return;
    cur = &(*cur)[path[i]];
  }
  if (cur->is_object()) cur->erase(path.back());
}

bool overlaps(const FieldPath& a, const FieldPath& b) {
  const size_t n = std::min(a.size(), b.size());
  return std::equal(a.begin(), a.begin() + static_cast<long>(n), b.begin());
}

std::string dotted(const FieldPath& path) {
  std::string out;
  for (const auto& p : path) out += "." + p;
  return out;
}

json to_fields_v1(const FieldSet& fields) {
  json out = json::object();
  for (const auto& path : fields) {
    json* cur = &out;
    for (const auto& key : path) cur = &(*cur)["f:" + key];
    if (cur->is_null()) *cur = json::object();
  }
  return out;
}

void from_fields_v1(const json& v1, FieldPath& path, FieldSet& out) {
  bool has_child = false;
  for (const auto& [key, child] : v1.items()) {
    if (key.rfind("f:", 0) != 0) continue;
    has_child = true;
    path.push_back(key.substr(2));
    from_fields_v1(child, path, out);
    path.pop_back();
  }
  if (!has_child && !path.empty()) out.insert(path);
}

struct Entry {
  std::string manager;
  std::string operation;
  std::string api_version;
  std::string time;
  FieldSet fields;
};

std::vector<Entry> read_entries(const json& object) {
  std::vector<Entry> out;
  if (!object.is_object()) return out;
  for (const auto& e : object["metadata"].value("managedFields", json::array())) {
    Entry entry{e.value("manager", ""), e.value("operation", ""), e.value("apiVersion", ""), e.value("time", ""), {}};
    FieldPath path;
    from_fields_v1(e.value("fieldsV1", json::object()), path, entry.fields);
    out.push_back(std::move(entry));
  }
  return out;
}

void write_entries(json& object, const std::vector<Entry>& entries) {
  json list = json::array();
  for (const auto& e : entries) {
    if (e.fields.empty()) continue;
    list.push_back({{"manager", e.manager},
                    {"operation", e.operation},
                    {"apiVersion", e.api_version},
                    {"time", e.time},
                    {"fieldsType", "FieldsV1"},
                    {"fieldsV1", to_fields_v1(e.fields)}});
  }
  if (list.empty())
    object["metadata"].erase("managedFields");
  else
    object["metadata"]["managedFields"] = list;
}

Entry& entry_for(std::vector<Entry>& entries, const std::string& manager, const std::string& operation,
                 const std::string& api_version, const std::string& now) {
  for (auto& e : entries)
    if (e.manager == manager && e.operation == operation) return e;
  entries.push_back(Entry{manager, operation, api_version, now, {}});
  return entries.back();
}

}  // namespace

FieldSet fields_of(const json& object) {
  json copy = object;
  copy.erase("apiVersion");
  copy.erase("kind");
  copy.erase("status");
  if (copy.contains("metadata") && copy["metadata"].is_object()) {
    for (const char* f : {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                          "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"})
      copy["metadata"].erase(f);
    if (copy["metadata"].empty()) copy.erase("metadata");
  }
  FieldSet out;
  FieldPath path;
  collect(copy, path, out);
  return out;
}

ApplyOutcome server_side_apply(const json& live, const json& applied, const std::string& manager, bool force,
                               const std::string& api_version, const std::string& now) {
  std::vector<Entry> entries = read_entries(live);
  const FieldSet wanted = fields_of(applied);
  ApplyOutcome outcome;

  // Conflicts: another manager owns a field whose value this apply would change.
  for (auto& other : entries) {
    if (other.manager == manager && other.operation == "Apply") continue;
    std::vector<FieldPath> taken;
    for (const auto& owned : other.fields) {
      for (const auto& path : wanted) {
        if (!overlaps(owned, path)) continue;
        // Applying the value the other manager set makes both owners, without a conflict.
        const FieldPath& shorter = owned.size() <= path.size() ? owned : path;
        const json* have = live.is_object() ? at(live, shorter) : nullptr;
        const json* want = at(applied, shorter);
        if (have == nullptr || (want != nullptr && *have == *want)) continue;
        if (force)
          taken.push_back(owned);
        else
          outcome.conflicts.push_back({other.manager, dotted(owned)});
        break;
      }
    }
    for (const auto& t : taken) other.fields.erase(t);
  }
  if (!outcome.conflicts.empty()) return outcome;

  json result = live.is_object() ? live : json::object();
  Entry& mine = entry_for(entries, manager, "Apply", api_version, now);
  // Fields this manager applied before and now leaves out go, unless someone else owns them.
  for (const auto& path : mine.fields) {
    if (wanted.count(path)) continue;
    const bool shared = std::any_of(entries.begin(), entries.end(), [&](const Entry& e) {
      return &e != &mine &&
             std::any_of(e.fields.begin(), e.fields.end(), [&](const FieldPath& p) { return overlaps(p, path); });
    });
    if (!shared) erase_at(result, path);
  }
  json patch = applied;
  patch.erase("status");
  result = apply_merge_patch(result, patch);
  if (mine.fields != wanted) {
    mine.fields = wanted;
    mine.time = now;
    mine.api_version = api_version;
  }
  write_entries(result, entries);
  outcome.object = std::move(result);
  return outcome;
}

void record_update(const json& before, json& after, const std::string& manager, const std::string& api_version,
                   const std::string& now) {
  std::vector<Entry> entries = read_entries(before);
  const FieldSet new_fields = fields_of(after);
  FieldSet changed;
  for (const auto& path : new_fields) {
    const json* old_value = before.is_object() ? at(before, path) : nullptr;
    if (old_value == nullptr || *old_value != *at(after, path)) changed.insert(path);
  }
  // Fields that no longer exist are nobody's.
  for (auto& e : entries)
    for (auto it = e.fields.begin(); it != e.fields.end();)
      it = new_fields.count(*it) || at(after, *it) != nullptr ? std::next(it) : e.fields.erase(it);
  if (!changed.empty()) {
    for (auto& e : entries)
      if (e.manager != manager || e.operation != "Update")
        for (const auto& path : changed) e.fields.erase(path);
    Entry& mine = entry_for(entries, manager, "Update", api_version, now);
    mine.fields.insert(changed.begin(), changed.end());
    mine.time = now;
  }
  write_entries(after, entries);
}

}  // namespace sso::apiserver
