#pragma once

#include <iterator>
#include <string>
#include <type_traits>
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
    return concat([](const kube::ObjectCache& c) { return c.list(); });
  }
  std::vector<kube::ObjectPtr> by_index(const std::string& index, const std::string& value) const {
    return concat([&](const kube::ObjectCache& c) { return c.by_index(index, value); });
  }
  // Keys only, for what needs no object: nothing is decoded (see kube::ObjectCache).
  std::vector<std::string> keys() const {
    return concat([](const kube::ObjectCache& c) { return c.keys(); });
  }
  std::vector<std::string> keys_by_index(const std::string& index, const std::string& value) const {
    return concat([&](const kube::ObjectCache& c) { return c.keys_by_index(index, value); });
  }
  std::vector<std::string> keys_in_namespace(const std::string& ns) const {
    const auto* c = for_namespace(ns);
    return c ? c->keys_by_index(kube::kNamespaceIndex, ns) : std::vector<std::string>{};
  }

 private:
  struct Entry {
    std::string ns;  // "" : every namespace
    const kube::ObjectCache* cache;
  };
  template <typename Read>
  std::invoke_result_t<Read, const kube::ObjectCache&> concat(Read read) const {
    std::invoke_result_t<Read, const kube::ObjectCache&> out;
    for (const auto& [ns, c] : caches_) {
      auto part = read(*c);
      out.insert(out.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    }
    return out;
  }
  const kube::ObjectCache* for_namespace(const std::string& ns) const {
    for (const auto& e : caches_)
      if (e.ns.empty() || e.ns == ns) return e.cache;
    return nullptr;
  }
  std::vector<Entry> caches_;
};

}  // namespace sso::controller
