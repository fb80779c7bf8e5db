#include "apiserver/object_store.hpp"

namespace sso::apiserver {

bool ObjectFilter::matches(const ObjectKey& key, const nlohmann::json& object) const {
  if (!covers(key)) return false;
  if (labels && !labels->matches(object["metadata"].value("labels", nlohmann::json::object()))) return false;
  if (fields && !fields->matches(object)) return false;
  return true;
}

ObjectStore::ObjectStore(size_t history_limit) : history_limit_(history_limit), oldest_available_(rv_) {}

uint64_t ObjectStore::current_rv() {
  std::lock_guard lock(mu_);
  return rv_;
}

std::optional<nlohmann::json> ObjectStore::Transaction::get(const ObjectKey& key) const {
  auto it = store_.objects_.find(key);
  if (it == store_.objects_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<ObjectKey, nlohmann::json>> ObjectStore::Transaction::list(const ObjectFilter& filter) const {
  // Objects are ordered by (group, resource, namespace, name), so a list reads its own range
  // only, as kube-apiserver reads one etcd prefix (/registry/RESOURCE/NAMESPACE/). A scan of
  // the whole store made every list, and every write (admission lists the webhook
  // configurations), cost as much as the objects of all kinds: O(N^2) over N creates.
  std::vector<std::pair<ObjectKey, nlohmann::json>> out;
  const ObjectKey first{filter.group, filter.resource, filter.ns.value_or(""), ""};
  for (auto it = store_.objects_.lower_bound(first); it != store_.objects_.end(); ++it) {
    const ObjectKey& key = it->first;
    if (key.group != filter.group || key.resource != filter.resource || (filter.ns && key.ns != *filter.ns)) break;
    if (filter.matches(key, it->second)) out.emplace_back(key, it->second);
  }
  return out;
}

std::vector<std::pair<ObjectKey, nlohmann::json>> ObjectStore::Transaction::list_namespace(
    const std::string& ns) const {
  std::vector<std::pair<ObjectKey, nlohmann::json>> out;
  for (const auto& [key, object] : store_.objects_)
    if (key.ns == ns) out.emplace_back(key, object);
  return out;
}

nlohmann::json ObjectStore::Transaction::put(const ObjectKey& key, nlohmann::json object) {
  const uint64_t rv = ++store_.rv_;
  object["metadata"]["resourceVersion"] = std::to_string(rv);
  auto it = store_.objects_.find(key);
  WatchEvent event{rv, it == store_.objects_.end() ? "ADDED" : "MODIFIED", key, object, nullptr};
  if (it != store_.objects_.end()) event.previous = it->second;
  store_.objects_[key] = object;
  store_.record(std::move(event));
  return object;
}

nlohmann::json ObjectStore::Transaction::remove(const ObjectKey& key) {
  auto it = store_.objects_.find(key);
  if (it == store_.objects_.end()) return nullptr;
  nlohmann::json object = std::move(it->second);
  store_.objects_.erase(it);
  const uint64_t rv = ++store_.rv_;
  object["metadata"]["resourceVersion"] = std::to_string(rv);
  store_.record(WatchEvent{rv, "DELETED", key, object, nullptr});
  return object;
}

nlohmann::json ObjectStore::event_json(const WatchStream& stream, const std::string& type, nlohmann::json object) {
  if (object.is_object() && !stream.api_version.empty() && object.contains("apiVersion"))
    object["apiVersion"] = stream.api_version;
  return {{"type", type}, {"object", std::move(object)}};
}

bool ObjectStore::deliver(WatchStream& stream, const WatchEvent& event) {
  const bool now = stream.filter.matches(event.key, event.object);
  std::string type = event.type;
  if (event.type == "MODIFIED" && (stream.filter.labels || stream.filter.fields)) {
    // kube-apiserver's cacher turns a change across the selector into ADDED or DELETED.
    const bool before = event.previous.is_object() && stream.filter.matches(event.key, event.previous);
    if (!before && !now) return true;
    if (!before) type = "ADDED";
    if (!now) type = "DELETED";
  } else if (!now) {
    return true;
  }
  stream.last_rv = event.rv;
  return stream.send(event_json(stream, type, event.object));
}

void ObjectStore::record(WatchEvent event) {
  for (auto& w : watches_) {
    if (w->closed || !w->filter.covers(event.key)) continue;
    if (!deliver(*w, event)) {
      w->closed = true;
      w->close();
    }
  }
  std::erase_if(watches_, [](const auto& w) { return w->closed; });
  history_.push_back(std::move(event));
  while (history_.size() > history_limit_) {
    oldest_available_ = history_.front().rv;
    history_.pop_front();
  }
}

bool ObjectStore::start_watch(const std::shared_ptr<WatchStream>& stream, std::optional<uint64_t> since,
                              uint64_t* oldest) {
  std::lock_guard lock(mu_);
  stream->last_rv = rv_;
  if (since) {
    if (*since < oldest_available_) {
      *oldest = oldest_available_;
      return false;
    }
    for (const auto& event : history_) {
      if (event.rv <= *since || !stream->filter.covers(event.key)) continue;
      if (!deliver(*stream, event)) return true;
    }
  } else {
    for (const auto& [key, object] : objects_) {
      if (!stream->filter.matches(key, object)) continue;
      if (!stream->send(event_json(*stream, "ADDED", object))) return true;
    }
  }
  stream->last_bookmark = std::chrono::steady_clock::now();
  watches_.push_back(stream);
  return true;
}

void ObjectStore::tick(std::chrono::steady_clock::time_point now, std::chrono::milliseconds bookmark_interval) {
  std::lock_guard lock(mu_);
  for (auto& w : watches_) {
    if (w->closed) continue;
    if (now >= w->deadline) {
      w->closed = true;
      w->close();
      continue;
    }
    if (w->bookmarks && now - w->last_bookmark >= bookmark_interval) {
      w->last_bookmark = now;
      nlohmann::json bookmark = {
          {"kind", w->kind}, {"apiVersion", w->api_version}, {"metadata", {{"resourceVersion", std::to_string(rv_)}}}};
      if (!w->send({{"type", "BOOKMARK"}, {"object", std::move(bookmark)}})) {
        w->closed = true;
        w->close();
      }
    }
  }
  std::erase_if(watches_, [](const auto& w) { return w->closed; });
}

void ObjectStore::close_all_watches() {
  std::lock_guard lock(mu_);
  for (auto& w : watches_) {
    w->closed = true;
    w->close();
  }
  watches_.clear();
}

void ObjectStore::compact() {
  std::lock_guard lock(mu_);
  history_.clear();
  oldest_available_ = rv_;
}

size_t ObjectStore::open_watches() {
  std::lock_guard lock(mu_);
  return watches_.size();
}

}  // namespace sso::apiserver
