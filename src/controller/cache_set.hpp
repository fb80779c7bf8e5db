#pragma once

#include <string>
#include <vector>

#include "kube/object_cache.hpp"
#include "kube/resource.hpp"

namespace sso::controller {

// The caches of one resource: one for the whole cluster, or one per watched namespace
// (--namespace a,b). Reads go to the cache that holds the namespace.
class CacheSet {
 public:
  void add(const std::string& ns, const kube::ObjectCache& cache) { caches_.push_back({ns, &cache}); }

  // Whether objects of namespace `ns` are watched at all (--namespace).
  bool covers(const std::string& ns) const { return for_namespace(ns) != nullptr; }

  kube::ObjectPtr get(const std::string& key) const {
    const auto* c = for_namespace(kube::split_object_key(key).first);
    return c ? c->get(key) : nullptr;
  }
  std::vector<kube::ObjectPtr> list_namespace(const std::string& ns) const {
    const auto* c = for_namespace(ns);
    return c ? c->list_namespace(ns) : std::vector<kube::ObjectPtr>{};
  }
  std::vector<kube::ObjectPtr> list() const {
    std::vector<kube::ObjectPtr> out;
    for (const auto& [ns, c] : caches_) {
      auto part = c->list();
      out.insert(out.end(), part.begin(), part.end());
    }
    return out;
  }
  std::vector<kube::ObjectPtr> by_index(const std::string& index, const std::string& value) const {
    std::vector<kube::ObjectPtr> out;
    for (const auto& [ns, c] : caches_) {
      auto part = c->by_index(index, value);
      out.insert(out.end(), part.begin(), part.end());
    }
    return out;
  }

 private:
  struct Entry {
    std::string ns;  // "" : every namespace
    const kube::ObjectCache* cache;
  };
  const kube::ObjectCache* for_namespace(const std::string& ns) const {
    for (const auto& e : caches_)
      if (e.ns.empty() || e.ns == ns) return e.cache;
    return nullptr;
  }
  std::vector<Entry> caches_;
};

}  // namespace sso::controller
