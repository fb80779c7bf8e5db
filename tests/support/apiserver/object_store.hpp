#pragma once

#include <chrono>
#include <compare>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apiserver/selectors.hpp"

namespace sso::apiserver {

struct ObjectKey {
  std::string group;
  std::string resource;
  std::string ns;  // empty for cluster-scoped objects
  std::string name;
  auto operator<=>(const ObjectKey&) const = default;
};

struct WatchEvent {
  uint64_t rv = 0;
  std::string type;  // ADDED, MODIFIED, DELETED
  ObjectKey key;
  nlohmann::json object;
  nlohmann::json previous;  // for MODIFIED: the object before, so selector watches can see it leave
};

// Which objects a list or watch covers.
struct ObjectFilter {
  std::string group;
  std::string resource;
  std::optional<std::string> ns;  // nullopt: every namespace
  std::optional<LabelSelector> labels;
  std::optional<FieldSelector> fields;

  bool covers(const ObjectKey& key) const {
    return key.group == group && key.resource == resource && (!ns || key.ns == *ns);
  }
  bool matches(const ObjectKey& key, const nlohmann::json& object) const;
};

// An open watch: where its events go.
struct WatchStream {
  ObjectFilter filter;
  std::string kind;         // for BOOKMARK objects
  std::string api_version;  // what the client asked for; objects are rewritten to it
  bool bookmarks = false;
  std::chrono::steady_clock::time_point deadline;
  std::chrono::steady_clock::time_point last_bookmark;
  uint64_t last_rv = 0;
  // Writes one event; false when the client has gone.
  std::function<bool(const nlohmann::json& event)> send;
  std::function<void()> close;
  bool closed = false;
};

// The server's state: objects, one global resourceVersion, a bounded history of changes for
// watches to resume from, and the open watches. One mutex guards it all; a Transaction holds it.
class ObjectStore {
 public:
  explicit ObjectStore(size_t history_limit = 10000);

  class Transaction {
   public:
    explicit Transaction(ObjectStore& store) : store_(store), lock_(store.mu_) {}
    std::optional<nlohmann::json> get(const ObjectKey& key) const;
    std::vector<std::pair<ObjectKey, nlohmann::json>> list(const ObjectFilter& filter) const;
    std::vector<std::pair<ObjectKey, nlohmann::json>> list_namespace(const std::string& ns) const;
    // Stores the object with a new resourceVersion (set in its metadata) and tells watchers.
    nlohmann::json put(const ObjectKey& key, nlohmann::json object);
    // Removes it; the DELETED event carries the object at a new resourceVersion.
    nlohmann::json remove(const ObjectKey& key);
    uint64_t current_rv() const { return store_.rv_; }
    // For calls that must not hold the lock (admission webhooks); re-read after relock().
    void unlock() { lock_.unlock(); }
    void relock() { lock_.lock(); }

   private:
    ObjectStore& store_;
    std::unique_lock<std::mutex> lock_;
  };

  Transaction begin() { return Transaction(*this); }
  uint64_t current_rv();

  // Starts a watch: from `since` (replaying history; a version older than the history
  // gives nullopt and the oldest version still available in `oldest`), or, without
  // `since`, with synthetic ADDED events for what exists now.
  bool start_watch(const std::shared_ptr<WatchStream>& stream, std::optional<uint64_t> since, uint64_t* oldest);

  // Sends due bookmarks and ends watches past their deadline.
  void tick(std::chrono::steady_clock::time_point now, std::chrono::milliseconds bookmark_interval);

  // Fault controls.
  void close_all_watches();
  void compact();  // forget the history: watches resuming from before now get 410
  size_t open_watches();

 private:
  void record(WatchEvent event);
  static nlohmann::json event_json(const WatchStream& stream, const std::string& type, nlohmann::json object);
  static bool deliver(WatchStream& stream, const WatchEvent& event);

  std::mutex mu_;
  std::map<ObjectKey, nlohmann::json> objects_;
  uint64_t rv_ = 1000;
  std::deque<WatchEvent> history_;
  size_t history_limit_;
  uint64_t oldest_available_;  // every event after this version is in history_
  std::vector<std::shared_ptr<WatchStream>> watches_;
};

}  // namespace sso::apiserver
