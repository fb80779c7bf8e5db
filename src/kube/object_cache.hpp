#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace sso::kube {

// Objects are shared, immutable snapshots: a reader keeps what it got even while the
// informer replaces the entry.
using ObjectPtr = std::shared_ptr<const nlohmann::json>;

// The values an object is filed under in one index (client-go's IndexFunc).
using IndexFunc = std::function<std::vector<std::string>(const nlohmann::json&)>;

// An informer's local copy of the objects it watches, keyed "namespace/name", with a
// namespace index and custom ones (client-go's cache.Indexer). One writer, the informer's
// thread; any number of readers under a shared lock (kube-rs reflector/store.rs).
//
// Objects rest encoded (CBOR), not as nlohmann's tree, which takes five to eight times the
// memory: with 5,000 SecureServices the tree alone put the operator over its 150 MiB target
// (bench_scale). Each read decodes a fresh snapshot (about 20 us for a SecureService); what
// only needs keys asks for keys.
class ObjectCache {
 public:
  // Register indexes before the first write.
  void add_index(const std::string& name, IndexFunc func);

  ObjectPtr get(const std::string& key) const;
  std::vector<ObjectPtr> list() const;
  std::vector<ObjectPtr> list_namespace(const std::string& ns) const;
  std::vector<ObjectPtr> by_index(const std::string& index, const std::string& value) const;
  std::vector<std::string> keys() const;
  std::vector<std::string> keys_by_index(const std::string& index, const std::string& value) const;
  size_t size() const;

  // Writes return the object they replaced or removed (null when there was none).
  ObjectPtr upsert(ObjectPtr object);
  ObjectPtr remove(const std::string& key);

  // What a relist changed: new keys, keys whose resourceVersion moved, keys now gone.
  struct Delta {
    std::vector<ObjectPtr> added;
    std::vector<std::pair<ObjectPtr, ObjectPtr>> updated;  // {old, new}
    std::vector<ObjectPtr> deleted;                        // the last state we knew
  };
  // Swaps in the result of a list whole, as client-go's Replace does, and says what changed
  // so that handlers hear of every difference once, and of nothing that did not change.
  Delta replace(std::vector<ObjectPtr> objects);

 private:
  using Encoded = std::shared_ptr<const std::vector<std::uint8_t>>;
  struct Stored {
    std::string resource_version;
    Encoded encoded;
  };
  static Stored store(const nlohmann::json& object);
  static ObjectPtr decode(const Encoded& encoded);
  static std::vector<ObjectPtr> decode_all(const std::vector<Encoded>& encoded);
  void index_locked(const std::string& key, const nlohmann::json& object);
  void unindex_locked(const std::string& key, const nlohmann::json& object);

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Stored> objects_;
  std::map<std::string, IndexFunc> index_funcs_;
  // index name -> value -> keys
  std::map<std::string, std::unordered_map<std::string, std::set<std::string>>> indexes_;
};

// The built-in index of every cache: objects by metadata.namespace.
inline constexpr const char* kNamespaceIndex = "namespace";

}  // namespace sso::kube
