#include "kube/object_cache.hpp"

#include <mutex>

#include "kube/resource.hpp"

namespace sso::kube {

ObjectCache::Stored ObjectCache::store(const nlohmann::json& object) {
  const std::vector<std::uint8_t> cbor = nlohmann::json::to_cbor(object);
  // A copy at the exact size: to_cbor's vector grew by doubling.
  return {resource_version_of(object), std::make_shared<const std::vector<std::uint8_t>>(cbor.begin(), cbor.end())};
}

ObjectPtr ObjectCache::decode(const Encoded& encoded) {
  return std::make_shared<const nlohmann::json>(nlohmann::json::from_cbor(*encoded));
}

std::vector<ObjectPtr> ObjectCache::decode_all(const std::vector<Encoded>& encoded) {
  std::vector<ObjectPtr> out;
  out.reserve(encoded.size());
  for (const auto& e : encoded) out.push_back(decode(e));
  return out;
}

void ObjectCache::add_index(const std::string& name, IndexFunc func) {
  std::unique_lock lock(mu_);
  index_funcs_[name] = std::move(func);
  auto& index = indexes_[name];
  index.clear();
  for (const auto& [key, stored] : objects_) {
    for (const auto& value : index_funcs_[name](*decode(stored.encoded))) index[value].insert(key);
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

// Readers copy the encoded objects out under the lock and decode them after it.

ObjectPtr ObjectCache::get(const std::string& key) const {
  Encoded encoded;
  {
    std::shared_lock lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return nullptr;
    encoded = it->second.encoded;
  }
  return decode(encoded);
}

std::vector<ObjectPtr> ObjectCache::list() const {
  std::vector<Encoded> encoded;
  {
    std::shared_lock lock(mu_);
    encoded.reserve(objects_.size());
    for (const auto& [key, stored] : objects_) encoded.push_back(stored.encoded);
  }
  return decode_all(encoded);
}

std::vector<ObjectPtr> ObjectCache::list_namespace(const std::string& ns) const {
  return by_index(kNamespaceIndex, ns);
}

std::vector<ObjectPtr> ObjectCache::by_index(const std::string& index, const std::string& value) const {
  std::vector<Encoded> encoded;
  {
    std::shared_lock lock(mu_);
    auto idx = indexes_.find(index);
    if (idx == indexes_.end()) return {};
    auto it = idx->second.find(value);
    if (it == idx->second.end()) return {};
    for (const auto& key : it->second) encoded.push_back(objects_.at(key).encoded);
  }
  return decode_all(encoded);
}

std::vector<std::string> ObjectCache::keys() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  out.reserve(objects_.size());
  for (const auto& [key, stored] : objects_) out.push_back(key);
  return out;
}

std::vector<std::string> ObjectCache::keys_by_index(const std::string& index, const std::string& value) const {
  std::shared_lock lock(mu_);
  auto idx = indexes_.find(index);
  if (idx == indexes_.end()) return {};
  auto it = idx->second.find(value);
  if (it == idx->second.end()) return {};
  return {it->second.begin(), it->second.end()};
}

size_t ObjectCache::size() const {
  std::shared_lock lock(mu_);
  return objects_.size();
}

ObjectPtr ObjectCache::upsert(ObjectPtr object) {
  const std::string key = object_key(*object);
  Stored stored = store(*object);
  std::unique_lock lock(mu_);
  ObjectPtr old;
  auto it = objects_.find(key);
  if (it != objects_.end()) {
    old = decode(it->second.encoded);
    unindex_locked(key, *old);
    it->second = std::move(stored);
  } else {
    objects_.emplace(key, std::move(stored));
  }
  index_locked(key, *object);
  return old;
}

ObjectPtr ObjectCache::remove(const std::string& key) {
  std::unique_lock lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return nullptr;
  ObjectPtr old = decode(it->second.encoded);
  unindex_locked(key, *old);
  objects_.erase(it);
  return old;
}

ObjectCache::Delta ObjectCache::replace(std::vector<ObjectPtr> objects) {
  Delta delta;
  std::unordered_map<std::string, ObjectPtr> listed;
  listed.reserve(objects.size());
  for (auto& object : objects) listed[object_key(*object)] = std::move(object);

  std::unique_lock lock(mu_);
  std::unordered_map<std::string, Stored> next;
  next.reserve(listed.size());
  for (const auto& [key, object] : listed) {
    auto old = objects_.find(key);
    if (old == objects_.end()) {
      delta.added.push_back(object);
      next.emplace(key, store(*object));
    } else if (old->second.resource_version != resource_version_of(*object)) {
      delta.updated.emplace_back(decode(old->second.encoded), object);
      next.emplace(key, store(*object));
    } else {
      next.emplace(key, std::move(old->second));  // unchanged: not encoded again
    }
  }
  for (const auto& [key, stored] : objects_) {
    if (!listed.count(key)) delta.deleted.push_back(decode(stored.encoded));
  }
  objects_ = std::move(next);
  for (auto& [name, index] : indexes_) index.clear();
  for (const auto& [key, object] : listed) index_locked(key, *object);
  return delta;
}

}  // namespace sso::kube
