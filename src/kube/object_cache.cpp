#include "kube/object_cache.hpp"

#include <mutex>

#include "kube/resource.hpp"

namespace sso::kube {

void ObjectCache::add_index(const std::string& name, IndexFunc func) {
  std::unique_lock lock(mu_);
  index_funcs_[name] = std::move(func);
  auto& index = indexes_[name];
  index.clear();
  for (const auto& [key, object] : objects_) {
    for (const auto& value : index_funcs_[name](*object)) index[value].insert(key);
  }
}

void ObjectCache::index_locked(const std::string& key, const nlohmann::json& object) {
  indexes_[kNamespaceIndex][namespace_of(object)].insert(key);
  for (const auto& [name, func] : index_funcs_) {
    for (const auto& value : func(object)) indexes_[name][value].insert(key);
  }
}

void ObjectCache::unindex_locked(const std::string& key, const nlohmann::json& object) {
  auto drop = [&](const std::string& index_name, const std::string& value) {
    auto& index = indexes_[index_name];
    auto it = index.find(value);
    if (it == index.end()) return;
    it->second.erase(key);
    if (it->second.empty()) index.erase(it);
  };
  drop(kNamespaceIndex, namespace_of(object));
  for (const auto& [name, func] : index_funcs_) {
    for (const auto& value : func(object)) drop(name, value);
  }
}

ObjectPtr ObjectCache::get(const std::string& key) const {
  std::shared_lock lock(mu_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> ObjectCache::list() const {
  std::shared_lock lock(mu_);
  std::vector<ObjectPtr> out;
  out.reserve(objects_.size());
  for (const auto& [key, object] : objects_) out.push_back(object);
  return out;
}

std::vector<ObjectPtr> ObjectCache::list_namespace(const std::string& ns) const {
  return by_index(kNamespaceIndex, ns);
}

std::vector<ObjectPtr> ObjectCache::by_index(const std::string& index, const std::string& value) const {
  std::shared_lock lock(mu_);
  std::vector<ObjectPtr> out;
  auto idx = indexes_.find(index);
  if (idx == indexes_.end()) return out;
  auto it = idx->second.find(value);
  if (it == idx->second.end()) return out;
  for (const auto& key : it->second) out.push_back(objects_.at(key));
  return out;
}

std::vector<std::string> ObjectCache::keys() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [key, object] : objects_) out.push_back(key);
  return out;
}

size_t ObjectCache::size() const {
  std::shared_lock lock(mu_);
  return objects_.size();
}

ObjectPtr ObjectCache::upsert(ObjectPtr object) {
  const std::string key = object_key(*object);
  std::unique_lock lock(mu_);
  ObjectPtr old;
  auto it = objects_.find(key);
  if (it != objects_.end()) {
    old = it->second;
    unindex_locked(key, *old);
    it->second = object;
  } else {
    objects_.emplace(key, object);
  }
  index_locked(key, *object);
  return old;
}

ObjectPtr ObjectCache::remove(const std::string& key) {
  std::unique_lock lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return nullptr;
  ObjectPtr old = it->second;
  unindex_locked(key, *old);
  objects_.erase(it);
  return old;
}

ObjectCache::Delta ObjectCache::replace(std::vector<ObjectPtr> objects) {
  Delta delta;
  std::unordered_map<std::string, ObjectPtr> next;
  next.reserve(objects.size());
  for (auto& object : objects) next[object_key(*object)] = std::move(object);

  std::unique_lock lock(mu_);
  for (const auto& [key, old] : objects_) {
    auto it = next.find(key);
    if (it == next.end()) {
      delta.deleted.push_back(old);
    } else if (resource_version_of(*old) != resource_version_of(*it->second)) {
      delta.updated.emplace_back(old, it->second);
    } else {
      // Unchanged: keep the snapshot readers may already hold.
      it->second = old;
    }
  }
  for (const auto& [key, object] : next) {
    if (!objects_.count(key)) delta.added.push_back(object);
  }
  objects_ = std::move(next);
  for (auto& [name, index] : indexes_) index.clear();
  for (const auto& [key, object] : objects_) index_locked(key, *object);
  return delta;
}

}  // namespace sso::kube
