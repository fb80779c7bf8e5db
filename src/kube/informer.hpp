#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/error.hpp"
#include "kube/object_cache.hpp"
#include "kube/resource.hpp"

namespace sso::kube {

class RestClient;
class WatchStream;

struct InformerOptions {
  ResourceType type;
  std::string ns;              // "" : every namespace
  std::string label_selector;  // only these objects are listed, watched and cached
  std::string field_selector;
  std::chrono::milliseconds resync{0};  // 0: never; else every cached object is re-delivered as an update
  int64_t page_size = 500;              // list in pages of this many (client-go's pager)
  std::chrono::milliseconds backoff_initial{800};
  std::chrono::milliseconds backoff_max{30000};
  int min_watch_timeout_seconds = 300;  // each watch asks the server to end it after [min, 2*min) seconds
  // metadata.managedFields is dropped before caching, as client-go's
  // cache.TransformStripManagedFields does when set as controller-runtime's cache
  // DefaultTransform: no reconciler reads it, and it is a fifth of an object's JSON and more
  // of its memory (many small maps). Keep it only for a reader that needs it.
  bool keep_managed_fields = false;
};

// Called on the informer's thread (resyncs on its resync thread); must not block for long.
struct EventHandlers {
  std::function<void(const ObjectPtr&)> on_add;
  std::function<void(const ObjectPtr& old_object, const ObjectPtr& new_object)> on_update;
  std::function<void(const ObjectPtr&)> on_delete;  // the last state known
};

// Lists then watches one resource and keeps a cache of it, as client-go's reflector and
// shared informer do. The watcher is a state machine (kube-rs watcher.rs): no list yet ->
// list -> watch from the list's resourceVersion. A stream the server ends normally is
// re-watched from the last resourceVersion seen (bookmarks move it too); a 410 (Expired or
// Gone) goes back to listing, and the relist's differences reach the handlers as adds,
// updates and deletes, so no change is lost and none is delivered twice; any other failure
// keeps the state and retries after a jittered exponential backoff.
class Informer {
 public:
  Informer(RestClient& client, InformerOptions options);
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Before start().
  void add_index(const std::string& name, IndexFunc func) { cache_.add_index(name, std::move(func)); }
  void add_handlers(EventHandlers handlers);

  void start();
  void stop();

  bool has_synced() const { return synced_.load(); }
  bool wait_for_sync(std::chrono::milliseconds timeout);
  const ObjectCache& cache() const { return cache_; }
  const InformerOptions& options() const { return options_; }

  // For tests and logs.
  std::string resource_version() const;
  int lists() const { return lists_.load(); }

 private:
  enum class State { kListing, kWatching };

  void run();
  void run_resync();
  bool list_and_replace();
  // What is done to each object before it is cached (options_.keep_managed_fields).
  void transform(nlohmann::json& object) const;
  struct WatchOutcome {
    State next;
    std::optional<Error> error;  // a failure to back off from before the next attempt
  };
  // Watches until the stream ends.
  WatchOutcome watch_once();
  void deliver_add(const ObjectPtr& object);
  void deliver_update(const ObjectPtr& old_object, const ObjectPtr& new_object);
  void deliver_delete(const ObjectPtr& object);
  std::string what() const;

  RestClient& client_;
  InformerOptions options_;
  ObjectCache cache_;
  std::vector<EventHandlers> handlers_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::string resource_version_;
  std::shared_ptr<WatchStream> stream_;  // the open watch, so stop() can close it
  std::atomic<bool> synced_{false};
  std::atomic<int> lists_{0};
  std::thread thread_;
  std::thread resync_thread_;
};

}  // namespace sso::kube
